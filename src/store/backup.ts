import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pidFile, processAlive } from '../control/pid.js';
import { createError } from '../kernel/errors.js';
import { compactingPath, isSnapshot, journalPath, type Snapshot } from './file-format.js';
import type { Store } from './port.js';

/*
 * Backups (`spout backup PATH`, `spout restore PATH`). A backup is one JSON file: the store's
 * snapshot format (`{"spout":1,"collections":{…}}`, the journal already applied) plus a
 * `backup` header naming when and from where it was taken, how many documents each collection
 * holds and a SHA-256 of the collections, so `spout restore` can tell a complete, intact backup
 * from anything else before it touches the store.
 */

/** The header a backup carries beside the snapshot. */
export interface BackupHeader {
  format: 1;
  createdAt: string;
  /** The store it was taken from (for people; restore may go anywhere). */
  store: string;
  /** Documents per collection. */
  counts: Record<string, number>;
  /** SHA-256 (hex) of `JSON.stringify(collections)`. */
  sha256: string;
}

export interface BackupFile extends Snapshot {
  backup: BackupHeader;
}

/** The snapshot of a store as it is in memory now (taken synchronously: nothing changes meanwhile). */
export function snapshotOf(store: Store): Snapshot {
  const collections: Snapshot['collections'] = {};
  for (const name of store.collections()) {
    const docs = Object.fromEntries(store.collection<unknown>(name).entries());
    if (Object.keys(docs).length > 0) collections[name] = docs;
  }
  return { spout: 1, collections };
}

/** The backup file's text for `data`, taken from the store at `from`. */
export function backupText(data: Snapshot, from: string, now = new Date()): string {
  const collections = JSON.stringify(data.collections);
  const counts = Object.fromEntries(
    Object.entries(data.collections).map(([name, docs]) => [name, Object.keys(docs).length]),
  );
  const header: BackupHeader = {
    format: 1,
    createdAt: now.toISOString(),
    store: from,
    counts,
    sha256: sha256(collections),
  };
  // Built by hand so that the checksummed text is exactly the one written.
  return `{"spout":1,"backup":${JSON.stringify(header)},"collections":${collections}}\n`;
}

/**
 * Write `text` to `path` atomically: a temporary file beside it (mode 0600: a backup holds
 * everything the store does), synced, then renamed over `path`. A reader never sees half a file;
 * a failure leaves `path` as it was.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  // The rename itself is durable once the folder is synced (not every system allows it).
  await open(dirname(path), 'r')
    .then(async (dir) => {
      await dir.sync().catch(() => {});
      await dir.close();
    })
    .catch(() => {});
}

/**
 * Read and check the backup at `path`: `SPOUT_BACKUP_INVALID` unless it is a complete backup
 * whose collections match their checksum and counts. Never writes.
 */
export async function readBackupFile(path: string): Promise<{ data: Snapshot; header: BackupHeader }> {
  const invalid = (why: string) =>
    createError(
      'SPOUT_BACKUP_INVALID',
      `${path} is not a usable Spout backup: ${why}. Nothing was changed. Give a file written by spout backup.`,
    );
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw invalid(`it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`it is not complete JSON (${(error as Error).message})`);
  }
  if (!isSnapshot(value)) throw invalid('it is not Spout data');
  const header = (value as Partial<BackupFile>).backup;
  if (
    typeof header !== 'object' ||
    header === null ||
    header.format !== 1 ||
    typeof header.sha256 !== 'string' ||
    typeof header.counts !== 'object' ||
    header.counts === null
  )
    throw invalid(
      'it has no backup header (a bare spout.json copy is not a complete backup: most state is in spout.json.journal)',
    );
  const { collections } = value;
  if (sha256(JSON.stringify(collections)) !== header.sha256)
    throw invalid('its content does not match its checksum (the file was changed or damaged)');
  for (const [name, docs] of Object.entries(collections))
    if (Object.keys(docs).length !== header.counts[name])
      throw invalid(`collection ${name} does not hold the number of documents its header names`);
  if (Object.keys(header.counts).some((name) => header.counts[name] !== 0 && !(name in collections)))
    throw invalid('a collection its header names is missing');
  return { data: { spout: 1, collections }, header: header };
}

/**
 * Replace the store at `storePath` with `data`. Refuses (`SPOUT_STORE_IN_USE`) while a `spout
 * run` owns it. The current snapshot and journal are kept, renamed to `….before-restore-<time>`
 * (returned), so nothing is lost; then the snapshot is written atomically with no journal.
 */
export async function restoreStore(
  storePath: string,
  data: Snapshot,
  now = new Date(),
): Promise<{ kept: string[] }> {
  const path = resolve(storePath);
  if (processAlive(pidFile(path)))
    throw createError(
      'SPOUT_STORE_IN_USE',
      `A running spout (pid in ${pidFile(path)}) owns the store ${path}. Nothing was changed. Stop it, then restore.`,
    );
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const text = JSON.stringify(data);
  // Write the new snapshot aside first: a failure there changes nothing.
  const staged = join(dirname(path), `.${basename(path)}.restore.${process.pid}.tmp`);
  const kept: Array<[string, string]> = [];
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(staged, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The journals go first: they must never be replayed over the restored snapshot.
    for (const file of [compactingPath(path), journalPath(path), path]) {
      const aside = `${file}.before-restore-${stamp}`;
      try {
        await rename(file, aside);
        kept.push([file, aside]);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    await rename(staged, path);
  } catch (error) {
    await rm(staged, { force: true });
    // Put back what was moved aside: the store is as it was.
    const stuck: string[] = [];
    for (const [file, aside] of kept.reverse()) await rename(aside, file).catch(() => stuck.push(aside));
    throw createError(
      'SPOUT_STORE_UNWRITABLE',
      `Cannot restore into ${path}: ${(error as Error).message}.${
        stuck.length > 0 ? ` The previous files are kept as ${stuck.join(', ')}.` : ' Nothing was changed.'
      }`,
      {},
      error,
    );
  }
  return { kept: kept.map(([, aside]) => aside) };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
