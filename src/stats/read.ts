import { readStoreFiles } from '../store/file-format.js';
import { COLLECTIONS, type OutcomeRecord } from '../store/records.js';

/**
 * Read the outcomes of the file store without opening (or ever writing) it: the snapshot and its
 * journal, by the same rules as the adapter (src/store/file-format.ts). A missing file means no
 * data yet (empty list); a file that is not Spout data throws `SPOUT_STORE_CORRUPT`, one that
 * cannot be read `SPOUT_STORE_UNWRITABLE`.
 */
export async function readStoredOutcomes(path: string): Promise<OutcomeRecord[]> {
  const { data } = await readStoreFiles(path);
  return Object.values(data.collections[COLLECTIONS.outcomes] ?? {}).filter(isOutcome);
}

// Only the fields the statistics rely on are checked; the rest is used as it is.
function isOutcome(value: unknown): value is OutcomeRecord {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Partial<OutcomeRecord>;
  return typeof o.detectedAt === 'string' && typeof o.status === 'string' && typeof o.valueSats === 'number';
}
