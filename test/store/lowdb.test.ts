import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLowdbStore } from '../../src/store/lowdb.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spout-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lowdb store', () => {
  it('persists collections across a reopen', async () => {
    const path = join(dir, 'nested', 'spout.json');
    const store = await openLowdbStore({ path });
    store.collection<{ n: number }>('outbox').put('e1', { n: 1 });
    store.collection<{ n: number }>('outbox').put('e2', { n: 2 });
    store.collection<string>('tokens').put('jti', 'revoked');
    expect(store.collection('outbox').delete('e1')).toBe(true);
    await store.close();

    const again = await openLowdbStore({ path });
    expect([...again.collection<{ n: number }>('outbox').entries()]).toEqual([['e2', { n: 2 }]]);
    expect(again.collection<string>('tokens').get('jti')).toBe('revoked');
    expect(again.collections().sort()).toEqual(['outbox', 'tokens']);
    await again.close();
  });

  it('coalesces many changes into few atomic file writes; flush puts them on disk at once', async () => {
    const path = join(dir, 'spout.json');
    const store = await openLowdbStore({ path, flushDelayMs: 10_000 });
    const outbox = store.collection<{ i: number }>('outbox');
    for (let i = 0; i < 1000; i++) outbox.put(`e${i}`, { i });
    // Nothing written yet: the coalescing window is still open.
    expect(JSON.parse(await readFile(path, 'utf8')).collections).toEqual({});
    await store.flush();
    const onDisk = JSON.parse(await readFile(path, 'utf8')) as {
      collections: { outbox: Record<string, unknown> };
    };
    expect(Object.keys(onDisk.collections.outbox)).toHaveLength(1000);
    await store.close();
  });

  it('refuses a corrupt file with a clear error and never overwrites it', async () => {
    const path = join(dir, 'spout.json');
    await writeFile(path, '{"spout":1,"collections":{"outbox":{"e1":');
    await expect(openLowdbStore({ path })).rejects.toMatchObject({
      code: 'SPOUT_STORE_CORRUPT',
      message: expect.stringMatching(
        /is not valid JSON.*will not start over it with empty data.*Restore it from a backup/s,
      ),
    });
    expect(await readFile(path, 'utf8')).toBe('{"spout":1,"collections":{"outbox":{"e1":');

    await writeFile(path, '[1,2,3]');
    await expect(openLowdbStore({ path })).rejects.toMatchObject({
      code: 'SPOUT_STORE_CORRUPT',
      message: expect.stringContaining('not a Spout store'),
    });
  });

  it('refuses an unwritable location at open', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    await expect(openLowdbStore({ path: join(blocker, 'spout.json') })).rejects.toMatchObject({
      code: 'SPOUT_STORE_UNWRITABLE',
      message: expect.stringMatching(
        /cannot be written \(a part of its folder path is a file\).*set storage\.path/,
      ),
    });
  });
});
