import type { OutboxRecord } from './records.js';

/**
 * A dead or disabled delivery made pending again, due now, with its attempts reset (the delivery
 * log keeps the earlier attempts). Any other record is returned unchanged.
 */
export function requeue(record: OutboxRecord, now: Date): OutboxRecord {
  if (record.status !== 'dead' && record.status !== 'disabled') return record;
  const { deliveredAt: _delivered, ...rest } = record;
  return {
    ...rest,
    status: 'pending',
    attempts: 0,
    updatedAt: now.toISOString(),
    nextAttemptAt: now.toISOString(),
  };
}

/** File holding the pid of the `spout run` that owns the store at `storePath`. */
export const pidFile = (storePath: string): string => `${storePath}.pid`;

/** Folder where other commands leave requests for the running process (`spout deliveries retry`). */
export const requestsDir = (storePath: string): string => `${storePath}.requests`;

/** A request left in {@link requestsDir}: retry these deliveries, or every dead one. */
export interface RetryRequest {
  type: 'deliveries.retry';
  ids?: string[];
  dead?: boolean;
}
