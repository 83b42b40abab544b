import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { joinTokenHub } from '../../src/auth/hub.js';
import { tokenConsumerFile, tokenRequestsDir } from '../../src/auth/requests.js';
import { openLowdbStore } from '../../src/store/lowdb.js';
import { captureLog } from '../helpers/kernel.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('token hub (file store)', () => {
  it('removes answers (.done) and half-written requests (.tmp) older than a minute that no command will read; keeps fresh ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-hub-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'spout.json');
    const requests = tokenRequestsDir(path);
    await mkdir(requests, { recursive: true });
    const old = new Date(Date.now() - 2 * 60_000);
    for (const name of ['1-1-a.json.done', '1-1-b.json.tmp', '2-2-c.json.done']) {
      await writeFile(join(requests, name), '{}');
      if (!name.startsWith('2-')) await utimes(join(requests, name), old, old);
    }
    const store = await openLowdbStore({ path });
    cleanups.push(() => store.close());
    const { release } = await joinTokenHub(store, captureLog().log, () => 0);
    cleanups.push(release);
    expect((await readdir(requests)).sort()).toEqual(['2-2-c.json.done', 'consumer.pid']);
    expect(await readFile(tokenConsumerFile(path), 'utf8')).toBe(String(process.pid));
  });
});
