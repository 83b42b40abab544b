import { constants, writeSync } from 'node:fs';
import { access, mkdir, open, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { createError } from '../kernel/errors.js';
import { compactingPath, journalPath, readStoreFiles, type JournalOp, type Snapshot } from './file-format.js';
import { createGroupCommit } from './group-commit.js';
import { createCollection, type StoreData } from './memory.js';
import type { Collection, Store } from './port.js';
import { writeSnapshotInPieces } from './snapshot-writer.js';

/**
 * Appends up to this size are written on the spot (`writeSync`): the page cache takes a few KB in
 * microseconds, while a round trip through libuv's thread pool costs two thread wake-ups and
 * about 0.3 ms on a busy 2-CPU machine, which a whale's webhook waited for before its first
 * attempt. Larger appends (a burst after a stall) stay asynchronous, as does compaction.
 */
const SYNC_APPEND_CHARS = 64 * 1024;

export interface LowdbStoreOptions {
  path: string;
  /** Coalescing window: changes within it become one write. Default 200 ms. */
  flushDelayMs?: number;
  /** Called when a background (timer) write fails; the changes stay pending for the next flush. */
  onError?: (error: unknown) => void;
  /** Rewrite the snapshot once the journal is larger than this many bytes (and than the snapshot). Default 1 MiB. */
  compactAfterBytes?: number;
}

/**
 * Open the file store: a lowdb JSON snapshot (`path`) plus an append-only journal beside it
 * (`path.journal`). A flush appends only the documents changed since the last one, so its cost
 * follows the size of the change, not of the store (lowdb alone rewrites the whole file on every
 * write). Once the journal outgrows the snapshot it is compacted beside the work: the journal is
 * renamed aside (`….journal.compacting`), appends go on in a new one, the snapshot is rewritten
 * a piece at a time (temporary file + rename) and the old journal removed — so a large store
 * never holds the process while it is serialised, and flushes never wait for it. At open, and
 * after a failed compaction, it is compacted in one go with lowdb. Replaying a journal line
 * twice is harmless, so a crash at any point loses nothing that was flushed.
 *
 * Group commit: flushes that come while a write is under way share the next one (one append for
 * all of them), and the journal stays open for appending. A resolved `flush()` means the data
 * is in the operating system's hands (written, not fsync'd): it survives the process being
 * killed, not a power cut — the journal's lines are idempotent, so fsync would buy only that.
 *
 * Errors (at open, never later): `SPOUT_STORE_CORRUPT` when the files exist but are not Spout
 * data (they are never overwritten), `SPOUT_STORE_UNWRITABLE` when they cannot be written.
 */
export async function openLowdbStore(options: LowdbStoreOptions): Promise<Store> {
  const path = resolve(options.path);
  const journal = journalPath(path);
  const compacting = compactingPath(path);
  const delay = options.flushDelayMs ?? 200;
  const compactAfter = options.compactAfterBytes ?? 2 ** 20;
  const existing = await readStoreFiles(path);
  await ensureWritable(path);

  const data: StoreData = new Map(
    Object.entries(existing.data.collections).map(([name, docs]) => [name, new Map(Object.entries(docs))]),
  );
  const db = new Low<Snapshot>(
    new DataFile<Snapshot>(path, { parse: JSON.parse, stringify: JSON.stringify }),
    {
      spout: 1,
      collections: {},
    },
  );

  let journalBytes = existing.journalBytes;
  let snapshotBytes = (await stat(path).catch(() => null))?.size ?? 0;
  let closed = false;
  // Opened once for appending (O_APPEND: a truncation by compaction is followed, not overwritten).
  let handle: FileHandle | null = null;
  const append = async (text: string) => {
    handle ??= await open(journal, 'a');
    if (text.length > SYNC_APPEND_CHARS) return handle.appendFile(text);
    const bytes = Buffer.from(text);
    for (let done = 0; done < bytes.length;) done += writeSync(handle.fd, bytes, done);
  };

  const snapshot = (): Snapshot => {
    const collections: Snapshot['collections'] = {};
    for (const [name, map] of data) if (map.size > 0) collections[name] = Object.fromEntries(map);
    return { spout: 1, collections };
  };

  // Whether a journal being compacted is on disk (a compaction under way, or one that failed or
  // was cut short by a crash).
  let leftover = existing.compacting;
  let compaction: Promise<void> | null = null;

  /** Compact in one go (at open, or after a failed compaction): the process waits for it. */
  const compactNow = async () => {
    db.data = snapshot();
    await db.write();
    db.data = { spout: 1, collections: {} }; // not kept: the store's maps are the data
    // The compacting journal goes before the journal is emptied: replayed over the new snapshot
    // without the journal's later lines, it would bring back older versions.
    await rm(compacting, { force: true });
    leftover = false;
    await truncate(journal).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    journalBytes = 0;
    snapshotBytes = (await stat(path)).size;
  };

  /**
   * Compact beside the work: the journal so far is renamed aside and appends go on in a new one
   * (so flushes never wait for the compaction), then the snapshot is written a piece at a time
   * and the old journal removed. Runs inside a group-commit write, so no append is under way
   * while the journal is renamed. A failure is reported and leaves the old journal on disk (read
   * at open); the next compaction is then made in one go.
   */
  const compactBeside = async () => {
    if (leftover) return compactNow();
    await handle?.close();
    handle = null;
    await rename(journal, compacting);
    leftover = true;
    journalBytes = 0;
    compaction = (async () => {
      snapshotBytes = await writeSnapshotInPieces(path, data);
      await rm(compacting, { force: true });
      leftover = false;
    })()
      .catch((cause: unknown) =>
        options.onError?.(
          createError(
            'SPOUT_STORE_UNWRITABLE',
            `Could not compact the store ${path}: ${String(cause)}. Nothing is lost (its journal is kept) and the next compaction tries again; check the free space and permissions of its folder.`,
            {},
            cause,
          ),
        ),
      )
      .finally(() => (compaction = null));
  };

  const writeOut = async (ops: JournalOp[]) => {
    if (ops.length > 0) {
      const text = ops.map((op) => JSON.stringify(op)).join('\n') + '\n';
      await append(text);
      journalBytes += Buffer.byteLength(text);
    }
    if (!compaction && journalBytes > compactAfter && journalBytes > snapshotBytes) await compactBeside();
  };

  const commit = createGroupCommit<JournalOp>({
    delayMs: delay,
    async write(ops) {
      try {
        await writeOut(ops);
      } catch (cause) {
        throw createError(
          'SPOUT_STORE_UNWRITABLE',
          `Could not write the store ${path}: ${String(cause)}.`,
          {},
          cause,
        );
      }
    },
    onError: (error) => options.onError?.(error),
  });
  const flush = commit.flush;

  const changed = (collection: string, id: string, doc: unknown, deleted: boolean): void => {
    if (closed) return;
    commit.change(
      `${collection}\0${id}`,
      deleted ? { c: collection, i: id, x: 1 } : { c: collection, i: id, d: doc },
    );
  };

  const collection = <T>(name: string): Collection<T> => {
    let map = data.get(name);
    if (!map) data.set(name, (map = new Map()));
    return createCollection<T>(name, map, changed);
  };

  // A new store gets its snapshot at once; an old one with a long journal, one whose last
  // append was torn by a crash (appending after it would bury the torn line mid-file), or one
  // left mid-compaction, is compacted at open.
  if (!existing.exists || journalBytes > compactAfter || existing.tornTail || existing.compacting)
    await compactNow();

  return {
    collection,
    collections: () => [...data.keys()].filter((n) => (data.get(n)?.size ?? 0) > 0),
    flush,
    fence: async () => {},
    async close() {
      await flush();
      await compaction;
      closed = true; // no more changes: nothing is appended while the journal is renamed
      // What a compaction under way could not take (the journal outgrew the snapshot again).
      if (journalBytes > compactAfter && journalBytes > snapshotBytes) {
        await compactBeside().catch((error: unknown) => options.onError?.(error));
        await compaction;
      }
      commit.stop();
      await handle?.close();
      handle = null;
    },
    location: path,
  };
}

async function ensureWritable(path: string): Promise<void> {
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    const info = await stat(path).catch(() => null);
    if (info) await access(path, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a part of its folder path is a file' : code;
    throw createError(
      'SPOUT_STORE_UNWRITABLE',
      `The store file ${path} cannot be written (${why}). Fix the permissions of ${dir}, or set storage.path to a writable place.`,
      {},
      error,
    );
  }
}
