import { type Store, COLLECTIONS } from '../../../src/index.js';

/** One collection retention prunes, and the ISO date fields that age its records. */
export interface RetentionRule {
  collection: string;
  /** A record's age is its newest valid date among these fields; a record with none is kept. */
  fields: readonly string[];
}

const DELIVERY_FIELDS = ['createdAt', 'updatedAt', 'settledAt'] as const;

/**
 * What retention prunes: predictions by `detectedAt`, outcomes by `settledAt`, the delivery log
 * and the webhook/email outbox by their newest of `createdAt` / `updatedAt` / `settledAt` (an
 * entry still being retried keeps itself young), chat message ids by `createdAt`, the API's whale
 * signals by `detectedAt` (also pruned by the api job, but only while it runs), and token records
 * by `expiresAt` (a revocation matters only until the token expires; a revocation of a token
 * never recorded here has no expiry and is kept).
 */
export const RETENTION_RULES: readonly RetentionRule[] = [
  { collection: COLLECTIONS.predictions, fields: ['detectedAt'] },
  { collection: COLLECTIONS.outcomes, fields: ['settledAt'] },
  { collection: COLLECTIONS.deliveries, fields: DELIVERY_FIELDS },
  { collection: COLLECTIONS.outbox, fields: DELIVERY_FIELDS },
  { collection: COLLECTIONS.messages, fields: ['createdAt'] },
  { collection: COLLECTIONS.apiSignals, fields: ['detectedAt'] },
  { collection: COLLECTIONS.tokens, fields: ['expiresAt'] },
];

/** Records deleted, by collection (every rule's collection is present, 0 when none). */
export type RetentionCounts = Record<string, number>;

/** The newest valid ISO date among `fields` of `record`, in epoch ms; null when none is usable. */
export function recordTime(record: unknown, fields: readonly string[]): number | null {
  if (typeof record !== 'object' || record === null) return null;
  let newest: number | null = null;
  for (const field of fields) {
    const value = (record as Record<string, unknown>)[field];
    if (typeof value !== 'string') continue;
    const at = Date.parse(value);
    if (!Number.isNaN(at) && (newest === null || at > newest)) newest = at;
  }
  return newest;
}

/**
 * Delete every record strictly older than `cutoff` (epoch ms) from the collections of `rules`,
 * flushing the store after each collection so a crash loses no finished collection. Idempotent:
 * running it again (after a restart mid-run) deletes what is left and nothing else.
 */
export async function prune(
  store: Store,
  cutoff: number,
  rules: readonly RetentionRule[] = RETENTION_RULES,
): Promise<RetentionCounts> {
  const counts: RetentionCounts = {};
  for (const rule of rules) {
    const collection = store.collection<unknown>(rule.collection);
    const expired: string[] = [];
    for (const [id, record] of collection.entries()) {
      const at = recordTime(record, rule.fields);
      if (at !== null && at < cutoff) expired.push(id);
    }
    for (const id of expired) collection.delete(id);
    counts[rule.collection] = expired.length;
    if (expired.length > 0) await store.flush();
  }
  return counts;
}

/** "3 predictions, 5 outcomes, 0 deliveries, …" */
export function describeCounts(counts: RetentionCounts): string {
  return Object.entries(counts)
    .map(([collection, n]) => `${n} ${collection}`)
    .join(', ');
}
