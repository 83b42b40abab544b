import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenService } from '../../src/auth/hub.js';
import { tokenConsumerFile, tokenRequestsDir } from '../../src/auth/requests.js';
import { openLowdbStore } from '../../src/store/lowdb.js';
import { steppedClock } from '../helpers/clock.js';
import { captureLog, until } from '../helpers/kernel.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('token hub (file store)', () => {
  it('removes answers (.done) and half-written requests (.tmp) left unchanged for a minute that no command will read; keeps fresh ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-hub-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'spout.json');
    const requests = tokenRequestsDir(path);
    await mkdir(requests, { recursive: true });
    for (const name of ['1-1-a.json.done', '1-1-b.json.tmp']) await writeFile(join(requests, name), '{}');
    const store = await openLowdbStore({ path });
    cleanups.push(() => store.close());
    const clock = steppedClock();
    const { release } = await createTokenService(store, captureLog().log, { now: clock.now }).join();
    cleanups.push(release);
    expect(clock.reads).toBe(2); // looked at once, at start: left alone
    expect((await readdir(requests)).sort()).toEqual(['1-1-a.json.done', '1-1-b.json.tmp', 'consumer.pid']);
    clock.advance(60_000);
    await writeFile(join(requests, '2-2-c.json.done'), '{}');
    await until(() => !existsSync(join(requests, '1-1-a.json.done')), 5000, 'the stale answer removed');
    await until(
      () => !existsSync(join(requests, '1-1-b.json.tmp')),
      5000,
      'the stale temporary file removed',
    );
    expect((await readdir(requests)).sort()).toEqual(['2-2-c.json.done', 'consumer.pid']);
    expect(await readFile(tokenConsumerFile(path), 'utf8')).toBe(String(process.pid));
  });
});
