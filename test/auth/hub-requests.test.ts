import { mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenService } from '../../src/auth/hub.js';
import { tokenRequestsDir } from '../../src/auth/requests.js';
import { awaitAnswer } from '../../src/control/writer.js';
import { openLowdbStore } from '../../src/store/lowdb.js';
import { steppedClock } from '../helpers/clock.js';
import { captureLog, until } from '../helpers/kernel.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function startHub() {
  const root = await mkdtemp(join(tmpdir(), 'spout-hub-requests-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const path = join(root, 'spout.json');
  const dir = tokenRequestsDir(path);
  await mkdir(dir, { recursive: true });
  const store = await openLowdbStore({ path });
  cleanups.push(() => store.close());
  const log = captureLog();
  const clock = steppedClock();
  const { hub, release } = await createTokenService(store, log.log, { now: clock.now }).join();
  cleanups.push(release);
  return { dir, hub, log, clock };
}

describe('token hub request folder', () => {
  it('does not lose a request written in place slowly: each change is looked at, it is applied once complete', async () => {
    const { dir, hub, log } = await startHub();
    const file = join(dir, '1-1-slow.json');
    const text = JSON.stringify({ type: 'token.revoke', jti: 'jti-slow', at: '2026-11-21T10:00:00.000Z' });
    // A writer that does not rename: every byte wakes the folder watcher up.
    const handle = await open(file, 'w');
    for (const byte of Buffer.from(text)) {
      await handle.write(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 5));
    }
    await handle.close();
    expect(await awaitAnswer(file, 5000)).toEqual({ known: false, already: false, closed: 0 });
    expect(hub.registry.isRevoked('jti-slow')).toBe(true);
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('answers a file that stays no token request with an error once it has not changed for a while', async () => {
    const { dir, hub, clock } = await startHub();
    const file = join(dir, '1-1-torn.json');
    await writeFile(file, '{"type":"token.revoke","jti":"jti-torn"');
    await until(() => clock.reads > 0, 5000, 'the torn request looked at');
    clock.advance(5_000); // its writer is gone: unchanged for the grace period
    expect(await awaitAnswer(file, 5000)).toEqual({ error: 'not a token request' });
    expect(hub.registry.isRevoked('jti-torn')).toBe(false);
    expect(await readdir(dir)).toEqual(['consumer.pid']);
  });
});
