import { constants, writeSync } from 'node:fs';
import { access, mkdir, open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { createError } from '../kernel/errors.js';
import { journalPath, readStoreFiles, type JournalOp, type Snapshot } from './file-format.js';
import { createGroupCommit } from './group-commit.js';
import { createCollection, type StoreData } from './memory.js';
import type { Collection, Store } from './port.js';

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
 * write); once the journal outgrows the snapshot, lowdb rewrites the snapshot atomically
 * (temporary file + rename) and the journal is emptied. Replaying a journal line twice is
 * harmless, so a crash at any point loses nothing that was flushed.
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

  const compact = async () => {
    db.data = snapshot();
    await db.write();
    await truncate(journal).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    journalBytes = 0;
    snapshotBytes = (await stat(path)).size;
  };

  const writeOut = async (ops: JournalOp[]) => {
    if (ops.length > 0) {
      const text = ops.map((op) => JSON.stringify(op)).join('\n') + '\n';
      await append(text);
      journalBytes += Buffer.byteLength(text);
    }
    if (journalBytes > compactAfter && journalBytes > snapshotBytes) await compact();
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

  // A new store gets its snapshot at once; an old one with a long journal, or one whose last
  // append was torn by a crash (appending after it would bury the torn line mid-file), is
  // compacted at open.
  if (!existing.exists || journalBytes > compactAfter || existing.tornTail) await compact();

  return {
    collection,
    collections: () => [...data.keys()].filter((n) => (data.get(n)?.size ?? 0) > 0),
    flush,
    fence: async () => {},
    async close() {
      await flush();
      closed = true;
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
