import type { DeliveryAttempt, OutboxRecord } from '../../../src/store/records.js';

/** Outbox key of an event for an output instance: one record per event per endpoint. */
export function outboxId(instance: string, eventId: string): string {
  return `${instance}/${eventId}`;
}

/** Delivery-log key of attempt number `attempt` (1-based) of an outbox record. */
export function attemptId(outboxId: string, attempt: number): string {
  return `${outboxId}#${attempt}`;
}

/**
 * A new outbox record: pending and due now, or `disabled` when the endpoint is (it answered
 * 410; the record is kept so it can be retried).
 */
export function createRecord<E extends { id: string; type: string }>(
  instance: string,
  envelope: E,
  now: Date,
  status: 'pending' | 'disabled' = 'pending',
  channel: OutboxRecord['channel'] = 'webhook',
  render: (envelope: E) => string = (e) => JSON.stringify(e),
): OutboxRecord {
  const at = now.toISOString();
  return {
    id: outboxId(instance, envelope.id),
    instance,
    channel,
    eventId: envelope.id,
    eventType: envelope.type,
    body: render(envelope),
    status,
    attempts: 0,
    createdAt: at,
    updatedAt: at,
    nextAttemptAt: status === 'pending' ? at : null,
  };
}

/** The record after a successful attempt. */
export function delivered(
  record: OutboxRecord,
  attempts: number,
  now: Date,
  statusCode: number | undefined,
): OutboxRecord {
  const { lastError: _e, ...rest } = record;
  return {
    ...rest,
    status: 'delivered',
    attempts,
    updatedAt: now.toISOString(),
    nextAttemptAt: null,
    deliveredAt: now.toISOString(),
    ...(statusCode !== undefined ? { lastStatus: statusCode } : {}),
  };
}

/** The record after a failed attempt: pending again (`next` set), dead or disabled. */
export function failed(
  record: OutboxRecord,
  attempts: number,
  now: Date,
  status: 'pending' | 'dead' | 'disabled',
  result: { statusCode?: number; error?: string },
  next: Date | null,
): OutboxRecord {
  const { lastError: _e, lastStatus: _s, ...rest } = record;
  return {
    ...rest,
    status,
    attempts,
    updatedAt: now.toISOString(),
    nextAttemptAt: status === 'pending' && next ? next.toISOString() : null,
    ...(result.statusCode !== undefined ? { lastStatus: result.statusCode } : {}),
    ...(result.error !== undefined ? { lastError: result.error } : {}),
  };
}

/** The delivery-log entry of one attempt. */
export function logEntry(
  record: OutboxRecord,
  attempt: number,
  at: Date,
  result: { statusCode?: number; error?: string; latencyMs: number },
  outcome: DeliveryAttempt['outcome'],
  next: Date | null,
): DeliveryAttempt {
  return {
    id: attemptId(record.id, attempt),
    outboxId: record.id,
    instance: record.instance,
    attempt,
    createdAt: at.toISOString(),
    ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
    latencyMs: result.latencyMs,
    ...(result.error !== undefined ? { error: result.error } : {}),
    outcome,
    ...(next ? { nextAttemptAt: next.toISOString() } : {}),
  };
}
