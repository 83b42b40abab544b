import { readFile } from 'node:fs/promises';
import { createError } from '../kernel/errors.js';
import { COLLECTIONS, type OutcomeRecord } from '../store/records.js';

/**
 * Read the outcomes of a lowdb store file without opening (or ever writing) the store, by the
 * same rules as the lowdb adapter: `{ spout: 1, collections: { name: { id: record } } }`. A
 * missing file means no data yet (empty list). A file that is not Spout data throws
 * `SPOUT_STORE_CORRUPT`; one that cannot be read throws `SPOUT_STORE_UNWRITABLE` (the code the
 * adapter uses for an unreadable file).
 */
export async function readStoredOutcomes(path: string): Promise<OutcomeRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
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
  const collections = collectionsOf(parsed);
  if (!collections) throw corrupt(path, 'it is JSON but not a Spout store');
  const outcomes = collections[COLLECTIONS.outcomes];
  if (outcomes === undefined) return [];
  return Object.values(outcomes).filter(isOutcome);
}

function collectionsOf(value: unknown): Record<string, Record<string, unknown>> | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as { spout?: unknown; collections?: unknown };
  if (v.spout !== 1 || typeof v.collections !== 'object' || v.collections === null) return null;
  const all = v.collections as Record<string, unknown>;
  const ok = Object.values(all).every((c) => typeof c === 'object' && c !== null && !Array.isArray(c));
  return ok ? (all as Record<string, Record<string, unknown>>) : null;
}

// Only the fields the statistics rely on are checked; the rest is used as it is.
function isOutcome(value: unknown): value is OutcomeRecord {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Partial<OutcomeRecord>;
  return typeof o.detectedAt === 'string' && typeof o.status === 'string' && typeof o.valueSats === 'number';
}

function corrupt(path: string, why: string) {
  return createError(
    'SPOUT_STORE_CORRUPT',
    `The store file ${path} cannot be used: ${why}. Restore it from a backup, or move it away to start with an empty store.`,
  );
}
