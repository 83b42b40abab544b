import { readFile } from 'node:fs/promises';
import { createError } from '../kernel/errors.js';

/** The snapshot file's shape (written by lowdb). */
export interface Snapshot {
  spout: 1;
  collections: Record<string, Record<string, unknown>>;
}

/** One journal line: a put (`d` present) or a delete (`x: 1`) of one document. */
export interface JournalOp {
  c: string;
  i: string;
  d?: unknown;
  x?: 1;
}

/** Path of the journal beside a snapshot file. */
export const journalPath = (path: string): string => `${path}.journal`;

/**
 * Path of the journal being compacted: the journal is renamed to it when a compaction begins
 * (appends go on in a new journal) and it is removed once the new snapshot is in place. Present
 * on disk only during a compaction, or after a crash in one; read between the snapshot and the
 * journal.
 */
export const compactingPath = (path: string): string => `${path}.journal.compacting`;

/**
 * Read a store as it is on disk: the snapshot, then every line of the journal being compacted
 * (if a compaction was under way) and of the journal, replayed in order. Replaying a line over a
 * snapshot that already holds it, or a newer version that a later line restates, is harmless, so
 * this is right whether a crashed compaction had put its snapshot in place or not. A missing
 * snapshot is an empty store. A torn last line (a crash mid-append) is ignored; any other
 * unreadable line, or a snapshot that is not Spout data, is `SPOUT_STORE_CORRUPT`, and an
 * unreadable file `SPOUT_STORE_UNWRITABLE`. Never writes.
 */
export async function readStoreFiles(path: string): Promise<{
  data: Snapshot;
  exists: boolean;
  journalBytes: number;
  tornTail: boolean;
  /** A compaction was under way (its journal is still there): the next open compacts again. */
  compacting: boolean;
}> {
  const snapshotText = await readOptional(path);
  let data: Snapshot = { spout: 1, collections: {} };
  if (snapshotText !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(snapshotText);
    } catch (error) {
      throw corrupt(path, `it is not valid JSON (${(error as Error).message})`);
    }
    if (!isSnapshot(parsed)) throw corrupt(path, 'it is JSON but not a Spout store');
    data = parsed;
  }
  const compacting = await readOptional(compactingPath(path));
  if (compacting) applyJournal(data, compacting, compactingPath(path));
  const journal = await readOptional(journalPath(path));
  if (journal) applyJournal(data, journal, journalPath(path));
  return {
    data,
    exists: snapshotText !== null,
    journalBytes: journal ? Buffer.byteLength(journal) : 0,
    tornTail: journal !== null && journal !== '' && !journal.endsWith('\n'),
    compacting: compacting !== null,
  };
}

function applyJournal(data: Snapshot, text: string, path: string): void {
  const lines = text.split('\n');
  // A line is complete only when its newline was written: the last piece is torn or empty.
  const complete = lines.slice(0, -1);
  complete.forEach((line, n) => {
    if (line === '') return;
    let op: JournalOp;
    try {
      op = JSON.parse(line) as JournalOp;
    } catch {
      throw corrupt(path, `line ${n + 1} is not valid JSON`);
    }
    if (typeof op.c !== 'string' || typeof op.i !== 'string')
      throw corrupt(path, `line ${n + 1} is not a store change`);
    const collection = (data.collections[op.c] ??= {});
    if (op.x === 1) delete collection[op.i];
    else collection[op.i] = op.d;
  });
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw createError(
      'SPOUT_STORE_UNWRITABLE',
      `Cannot read the store file ${path}: ${(error as Error).message}. Check its permissions or set storage.path.`,
      {},
      error,
    );
  }
}

/** Whether `value` has the shape of a store snapshot (`{ spout: 1, collections: { … } }`). */
export function isSnapshot(value: unknown): value is Snapshot {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Snapshot>;
  if (v.spout !== 1 || typeof v.collections !== 'object' || v.collections === null) return false;
  return Object.values(v.collections).every((c) => typeof c === 'object' && c !== null && !Array.isArray(c));
}

/** The error for store files that cannot be used; Spout never starts over them with empty data. */
export function corrupt(path: string, why: string) {
  return createError(
    'SPOUT_STORE_CORRUPT',
    `The store file ${path} cannot be used: ${why}. Spout will not start over it with empty data. ` +
      `Restore it from a backup, or move it away to start with an empty store.`,
  );
}
