import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStoreFiles } from '../../src/store/file-format.js';
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
    const onDisk = await readStoreFiles(path);
    expect(Object.keys(onDisk.data.collections.outbox ?? {})).toHaveLength(1000);
    // One append holding the 1000 changes, not 1000 rewrites of the file.
    expect((await readFile(`${path}.journal`, 'utf8')).trim().split('\n')).toHaveLength(1000);
    await store.close();
  });

  it('group commit: flushes before the write starts share it, and it takes all their changes', async () => {
    const path = join(dir, 'spout.json');
    const store = await openLowdbStore({ path, flushDelayMs: 10_000 });
    const jobs = store.collection<{ n: number }>('jobs');
    // Eleven flushers in a burst, each after its own change: one shared write.
    const burst = Array.from({ length: 11 }, (_, i) => {
      jobs.put(`b${i}`, { n: i });
      return store.flush();
    });
    expect(new Set(burst).size).toBe(1);
    await burst[0];
    const onDisk = await readStoreFiles(path);
    expect(Object.keys(onDisk.data.collections.jobs ?? {})).toHaveLength(11);
    // The next change is the next write; a flush with nothing new adds none.
    jobs.put('c', { n: 3 });
    const more = store.flush();
    expect(more).not.toBe(burst[0]);
    expect(store.flush()).toBe(more);
    await more;
    await expect(store.flush()).resolves.toBeUndefined();
    expect((await readFile(`${path}.journal`, 'utf8')).trim().split('\n')).toHaveLength(12);
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

describe('lowdb store journal', () => {
  it('appends only what changed, replays it on open, and ignores a torn last line', async () => {
    const path = join(dir, 'spout.json');
    const store = await openLowdbStore({ path });
    const c = store.collection<{ v: number }>('c');
    c.put('a', { v: 1 });
    c.put('b', { v: 2 });
    await store.flush();
    c.put('a', { v: 3 });
    c.delete('b');
    await store.flush();
    const snapshot = await readFile(path, 'utf8');
    expect(JSON.parse(snapshot)).toEqual({ spout: 1, collections: {} }); // untouched: changes went to the journal
    // A crash in the middle of an append leaves a partial line: it is ignored.
    await writeFile(
      `${path}.journal`,
      (await readFile(`${path}.journal`, 'utf8')) + '{"c":"c","i":"z","d":{"v"',
    );
    const again = await openLowdbStore({ path });
    expect([...again.collection('c').entries()]).toEqual([['a', { v: 3 }]]);
    await again.close();
  });

  it('refuses a journal with a broken line in the middle', async () => {
    const path = join(dir, 'spout.json');
    await writeFile(path, '{"spout":1,"collections":{}}');
    await writeFile(`${path}.journal`, '{"c":"c","i":"a","d":1}\nnot json\n{"c":"c","i":"b","d":2}\n');
    await expect(openLowdbStore({ path })).rejects.toMatchObject({
      code: 'SPOUT_STORE_CORRUPT',
      message: expect.stringContaining('line 2 is not valid JSON'),
    });
  });

  it('compacts the journal into the snapshot once it outgrows it, losing nothing', async () => {
    const path = join(dir, 'spout.json');
    const store = await openLowdbStore({ path, compactAfterBytes: 10_000 });
    const c = store.collection<{ n: number; pad: string }>('c');
    for (let i = 0; i < 500; i++) {
      c.put(`k${i % 50}`, { n: i, pad: 'x'.repeat(100) });
      if (i % 10 === 9) await store.flush();
    }
    await store.close();
    const journal = await readFile(`${path}.journal`, 'utf8').catch(() => '');
    expect(journal.length).toBeLessThan(20_000);
    const again = await openLowdbStore({ path });
    expect(again.collection('c').size).toBe(50);
    expect(again.collection<{ n: number }>('c').get('k49')?.n).toBe(499);
    await again.close();
  });
});
