import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compactingPath, journalPath, readStoreFiles } from '../../src/store/file-format.js';
import { openLowdbStore } from '../../src/store/lowdb.js';
import { snapshotTempPath } from '../../src/store/snapshot-writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spout-compaction-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (c: string, i: string, d?: unknown) =>
  JSON.stringify(d === undefined ? { c, i, x: 1 } : { c, i, d }) + '\n';
const snapshotOf = (docs: Record<string, unknown>) => JSON.stringify({ spout: 1, collections: { c: docs } });
/** A store big enough that writing its snapshot takes many pieces (4 MB of documents). */
const fill = (put: (id: string, doc: unknown) => void, n = 20_000) => {
  for (let i = 0; i < n; i++) put(`k${i}`, { i, pad: 'x'.repeat(180) });
};

describe('store compaction beside the work', () => {
  it('a crash before the new snapshot was in place: snapshot, then the journal being compacted, then the journal', async () => {
    const path = join(dir, 'spout.json');
    await writeFile(path, snapshotOf({ a: 1, b: 1 }));
    await writeFile(compactingPath(path), line('c', 'a', 2) + line('c', 'c', 1));
    await writeFile(journalPath(path), line('c', 'a', 3) + line('c', 'b'));
    const read = await readStoreFiles(path);
    expect(read.data.collections.c).toEqual({ a: 3, c: 1 });
    expect(read.compacting).toBe(true);

    const store = await openLowdbStore({ path });
    expect(Object.fromEntries(store.collection('c').entries())).toEqual({ a: 3, c: 1 });
    await store.close();
    // Compacted at open: one snapshot, no journal left to replay.
    expect(existsSync(compactingPath(path))).toBe(false);
    expect(JSON.parse(await readFile(path, 'utf8')).collections.c).toEqual({ a: 3, c: 1 });
  });

  it('a crash after the new snapshot was in place: the old journal replayed over it brings back nothing stale', async () => {
    const path = join(dir, 'spout.json');
    // The new snapshot caught `a` at 4, a change made after the journal was renamed and not yet
    // flushed; the last flushed version of `a` is 3, in the new journal.
    await writeFile(path, snapshotOf({ a: 4, c: 1 }));
    await writeFile(compactingPath(path), line('c', 'a', 2) + line('c', 'c', 1) + line('c', 'b'));
    await writeFile(journalPath(path), line('c', 'a', 3));
    expect((await readStoreFiles(path)).data.collections.c).toEqual({ a: 3, c: 1 });
  });

  it('a flush during a compaction does not wait for it, and nothing is lost', async () => {
    const path = join(dir, 'spout.json');
    const store = await openLowdbStore({ path, compactAfterBytes: 100_000 });
    const c = store.collection<unknown>('c');
    fill((id, doc) => c.put(id, doc));
    await store.flush(); // 4 MB of journal: the compaction begins
    expect(existsSync(compactingPath(path))).toBe(true);
    c.put('late', { written: 'during the compaction' });
    c.delete('k0');
    await store.flush();
    // The flush is on disk (in the new journal) while the snapshot is still being written.
    expect(existsSync(compactingPath(path))).toBe(true);
    expect(await readFile(journalPath(path), 'utf8')).toContain('during the compaction');
    await store.close();
    expect(existsSync(compactingPath(path))).toBe(false);
    expect(existsSync(snapshotTempPath(path))).toBe(false);

    const again = await openLowdbStore({ path });
    const docs = again.collection<{ i?: number }>('c');
    expect(docs.size).toBe(20_000);
    expect(docs.get('late')).toEqual({ written: 'during the compaction' });
    expect(docs.has('k0')).toBe(false);
    expect(docs.get('k19999')?.i).toBe(19_999);
    await again.close();
  });

  it('a compaction that cannot write is reported and loses nothing; the next one is made in one go', async () => {
    const path = join(dir, 'spout.json');
    const errors: unknown[] = [];
    const store = await openLowdbStore({ path, compactAfterBytes: 100_000, onError: (e) => errors.push(e) });
    // The temporary snapshot cannot be created: a folder has its name.
    await mkdir(snapshotTempPath(path));
    const c = store.collection<unknown>('c');
    fill((id, doc) => c.put(id, doc), 2_000);
    await store.flush();
    c.put('after', 1);
    await store.flush();
    await expect.poll(() => errors.length, { timeout: 5000 }).toBe(1);
    expect(errors[0]).toMatchObject({
      code: 'SPOUT_STORE_UNWRITABLE',
      message: expect.stringContaining('Nothing is lost (its journal is kept)'),
    });
    expect(existsSync(compactingPath(path))).toBe(true);
    // Read from the files as they are: the old snapshot, the renamed journal and the new one.
    const read = await readStoreFiles(path);
    expect(Object.keys(read.data.collections.c ?? {})).toHaveLength(2_001);

    await rm(snapshotTempPath(path), { recursive: true });
    fill((id, doc) => c.put(id, { ...(doc as object), again: true }), 2_000);
    await store.flush(); // over the threshold again, a journal left aside: compacted in one go
    expect(existsSync(compactingPath(path))).toBe(false);
    expect(JSON.parse(await readFile(path, 'utf8')).collections.c.after).toBe(1);
    await store.close();
  });
});
