import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { createError } from '../kernel/errors.js';
import { createCollection, type StoreData } from './memory.js';
import type { Collection, Store } from './port.js';

/** On-disk shape of the lowdb file. */
interface FileData {
  spout: 1;
  collections: Record<string, Record<string, unknown>>;
}

export interface LowdbStoreOptions {
  path: string;
  /** Coalescing window: changes within it become one file write. Default 200 ms. */
  flushDelayMs?: number;
}

/**
 * Open the lowdb JSON file store. Errors (at open, never later): `SPOUT_STORE_CORRUPT` when the
 * file exists but is not Spout data (it is never overwritten), `SPOUT_STORE_UNWRITABLE` when the
 * file or its folder cannot be written. Writes are atomic (temporary file + rename, by lowdb's
 * steno writer) and coalesced over `flushDelayMs`.
 */
export async function openLowdbStore(options: LowdbStoreOptions): Promise<Store> {
  const path = resolve(options.path);
  const delay = options.flushDelayMs ?? 200;
  const existing = await readExisting(path);
  await ensureWritable(path);

  const data: StoreData = new Map(
    Object.entries(existing?.collections ?? {}).map(([name, docs]) => [name, new Map(Object.entries(docs))]),
  );
  const db = new Low<FileData>(
    new DataFile<FileData>(path, { parse: JSON.parse, stringify: JSON.stringify }),
    {
      spout: 1,
      collections: {},
    },
  );

  let timer: NodeJS.Timeout | null = null;
  let dirty = false;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;

  const snapshot = (): FileData => {
    const collections: FileData['collections'] = {};
    for (const [name, map] of data) if (map.size > 0) collections[name] = Object.fromEntries(map);
    return { spout: 1, collections };
  };
  const write = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!dirty) return writing;
    dirty = false;
    db.data = snapshot();
    writing = writing
      .then(() => db.write())
      .catch((cause: unknown) => {
        dirty = true;
        throw createError(
          'SPOUT_STORE_UNWRITABLE',
          `Could not write the store file ${path}: ${String(cause)}.`,
          {},
          cause,
        );
      });
    return writing;
  };
  const touched = (): void => {
    if (closed) return;
    dirty = true;
    timer ??= setTimeout(() => void write().catch(() => {}), delay);
  };

  const collection = <T>(name: string): Collection<T> => {
    let map = data.get(name);
    if (!map) data.set(name, (map = new Map()));
    return createCollection<T>(map, touched);
  };

  if (!existing) {
    dirty = true;
    await write();
  }

  return {
    collection,
    collections: () => [...data.keys()].filter((n) => (data.get(n)?.size ?? 0) > 0),
    flush: write,
    async close() {
      await write();
      closed = true;
    },
    location: path,
  };
}

async function readExisting(path: string): Promise<FileData | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw corrupt(path, `it is not valid JSON (${(error as Error).message})`);
  }
  if (!isFileData(parsed)) throw corrupt(path, 'it is JSON but not a Spout store');
  return parsed;
}

function corrupt(path: string, why: string) {
  return createError(
    'SPOUT_STORE_CORRUPT',
    `The store file ${path} cannot be used: ${why}. Spout will not start over it with empty data. ` +
      `Restore it from a backup, or move it away to start with an empty store.`,
  );
}

function isFileData(value: unknown): value is FileData {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<FileData>;
  if (v.spout !== 1 || typeof v.collections !== 'object' || v.collections === null) return false;
  return Object.values(v.collections).every((c) => typeof c === 'object' && c !== null && !Array.isArray(c));
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
