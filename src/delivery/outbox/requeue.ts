import type { OutboxRecord } from './record.js';

/**
 * A dead or disabled delivery made pending again, due now, with its attempts reset (the delivery
 * log keeps the earlier attempts). Any other record is returned unchanged (the same object).
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
