import { randomUUID } from 'node:crypto';
import type { Store } from '../../../src/index.js';

/**
 * Collection where each running `accuracy` instance records its thresholds, by instance name, so
 * other plugins (the REST API's `/api/stats`) can show them. Not in `COLLECTIONS`: only this
 * module reads or writes it.
 */
export const ACCURACY_THRESHOLDS = 'accuracy-thresholds';

/** The accuracy levels an `accuracy` instance alerts below (0–1, `critical` ≤ `warning`). */
export interface AccuracyThresholds {
  warning: number;
  critical: number;
}

interface Recorded extends AccuracyThresholds {
  /** The process that recorded it (see {@link RUN}). */
  run: string;
}

// A record survives in a file store when the process dies before the instance's stop: one
// written by another run says nothing about what runs now, so only this run's records count.
const RUN = randomUUID();

/**
 * Record the thresholds of the running instance `instance` in `store`; the returned function
 * withdraws them (call it when the instance stops).
 */
export function recordThresholds(store: Store, instance: string, t: AccuracyThresholds): () => void {
  const records = store.collection<Recorded>(ACCURACY_THRESHOLDS);
  records.put(instance, { warning: t.warning, critical: t.critical, run: RUN });
  return () => void records.delete(instance);
}

/**
 * The thresholds of the running `accuracy` instance, or null when none runs in this process. With
 * several instances, the one set up first since the store was opened (the order of the records).
 */
export function runningThresholds(store: Store): AccuracyThresholds | null {
  for (const [, r] of store.collection<Recorded>(ACCURACY_THRESHOLDS).entries())
    if (r.run === RUN) return { warning: r.warning, critical: r.critical };
  return null;
}
