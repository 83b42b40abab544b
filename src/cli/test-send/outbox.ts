import type { InstanceConfig } from '../../config/types.js';
import type { DeliveryAttempt, OutboxRecord } from '../../delivery/outbox/record.js';
import { emailOutcome } from './email.js';
import type { Outcome, TestRecords } from './outcome.js';
import { webhookOutcome } from './webhook.js';

/** The outcome of a test through an outbox (webhook, e-mail): its first attempt's. */
export function outboxOutcome(
  instance: InstanceConfig,
  rec: OutboxRecord,
  attempt: DeliveryAttempt,
  records: TestRecords,
): Outcome {
  const where = `outputs.${instance.name}`;
  return instance.use === 'email'
    ? emailOutcome(where, rec, attempt, records)
    : webhookOutcome(where, attempt, records);
}

/** The outbox record as kept: never pending (a running spout must not send a test again). */
export function finalOutbox(rec: OutboxRecord, waitMs: number): OutboxRecord {
  if (rec.status !== 'pending') return { ...rec, test: true };
  return {
    ...rec,
    status: 'dead',
    nextAttemptAt: null,
    lastError: rec.lastError ?? `no outcome within ${Math.round(waitMs / 1000)} s (spout test)`,
    test: true,
  };
}
