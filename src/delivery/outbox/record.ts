import { hash } from 'node:crypto';
import { factOf, type AnyEnvelope } from '../../bus/envelope.js';
import { EVENT_KEYS } from '../../bus/catalogue.js';
import { isTestEnvelope } from '../test-marker.js';

/** Where a webhook or e-mail delivery stands. */
export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'disabled';

/**
 * One event to deliver to one endpoint (collection `outbox`, key `id`). Recorded, and flushed
 * to disk, before the first attempt; kept after delivery until retention removes it.
 */
export interface OutboxRecord {
  /** `${instance}/${eventId}`: one record per event per output instance. */
  id: string;
  /** The output instance (endpoint) it is for. */
  instance: string;
  channel: 'webhook' | 'email';
  eventId: string;
  eventType: string;
  /** The exact body sent (and signed) on every attempt. */
  body: string;
  /**
   * Hash of what the event says apart from its id (`fingerprintOf`): tells a replay of the same
   * event from another event under the same id. Absent in records from before it was added.
   */
  fingerprint?: string;
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  /** When the next attempt is due (pending), else null. */
  nextAttemptAt: string | null;
  lastStatus?: number;
  lastError?: string;
  deliveredAt?: string;
  /** A test delivery (`spout test OUTPUT`): a marked sample, not an alert. Absent otherwise. */
  test?: true;
}

/** One attempt (collection `deliveries`, key `${outboxId}#${attempt}`): the delivery log. */
export interface DeliveryAttempt {
  id: string;
  outboxId: string;
  instance: string;
  attempt: number;
  createdAt: string;
  /** HTTP status, when a response came. */
  statusCode?: number;
  latencyMs: number;
  error?: string;
  outcome: 'delivered' | 'retry' | 'dead' | 'disabled';
  nextAttemptAt?: string;
}

/** Outbox key of an event for an output instance: one record per event per endpoint. */
export function outboxId(instance: string, eventId: string): string {
  return `${instance}/${eventId}`;
}

/** Delivery-log key of attempt number `attempt` (1-based) of an outbox record. */
export function attemptId(outboxId: string, attempt: number): string {
  return `${outboxId}#${attempt}`;
}

/**
 * What an event says apart from its id, hashed: equal for a replay of the same event (restored,
 * published again after a restart, the same whale seen by another input), different for another
 * event under the same id. Bus envelopes use `factOf`; other items (a digest mail) their JSON
 * without the id.
 */
export function fingerprintOf(envelope: { id: string; type: string }): string {
  const text = Object.hasOwn(EVENT_KEYS, envelope.type)
    ? factOf(envelope as AnyEnvelope)
    : JSON.stringify({ ...envelope, id: undefined });
  return hash('sha256', text).slice(0, 32);
}

/** The event id an envelope is delivered under when its own id is taken by another event. */
export function collisionId(eventId: string, fingerprint: string): string {
  const prefix = /^[a-z]+_/.exec(eventId)?.[0] ?? 'evt_';
  return prefix + hash('sha256', `${eventId}\0${fingerprint}`).slice(0, 32);
}

/**
 * Where an envelope goes in the outbox of `instance`:
 *
 * - `new`: no record for its id yet: record it under `id`.
 * - `replay`: a record for the same event is there already (`id`): nothing to do.
 * - `collision`: another event holds its id (`existing`: the record, with a different
 *   fingerprint, or a different type for a record from before fingerprints). Two events are never
 *   merged into one delivery: this one is recorded under `id` as `envelope`, a copy whose id is
 *   derived from its own id and fingerprint, so that it still goes out with a `webhook-id` (and
 *   `Message-ID`) of its own, and a replay of it finds that record again.
 */
export type Placement<E> =
  | { kind: 'new'; id: string; envelope: E; fingerprint: string }
  | { kind: 'replay'; id: string }
  | { kind: 'collision'; id: string; envelope: E; fingerprint: string; existing: OutboxRecord };

export function place<E extends { id: string; type: string }>(
  instance: string,
  envelope: E,
  get: (id: string) => OutboxRecord | undefined,
  fingerprint: string = fingerprintOf(envelope),
): Placement<E> {
  const id = outboxId(instance, envelope.id);
  const existing = get(id);
  if (!existing) return { kind: 'new', id, envelope, fingerprint };
  const same =
    existing.fingerprint !== undefined
      ? existing.fingerprint === fingerprint
      : existing.eventType === envelope.type;
  if (same) return { kind: 'replay', id };
  const moved = { ...envelope, id: collisionId(envelope.id, fingerprint) };
  const movedId = outboxId(instance, moved.id);
  if (get(movedId)) return { kind: 'replay', id: movedId };
  return { kind: 'collision', id: movedId, envelope: moved, fingerprint, existing };
}

/**
 * {@link place} where records are read asynchronously (a deployment's delivery queue): the two
 * ids it may look at — the event's and its collision id — are fetched first, at once.
 */
export async function placeWith<E extends { id: string; type: string }>(
  instance: string,
  envelope: E,
  fetch: (id: string) => Promise<OutboxRecord | undefined>,
): Promise<Placement<E>> {
  const fingerprint = fingerprintOf(envelope);
  const ids = [outboxId(instance, envelope.id), outboxId(instance, collisionId(envelope.id, fingerprint))];
  const found = await Promise.all(ids.map(fetch));
  return place(instance, envelope, (id) => found[ids.indexOf(id)], fingerprint);
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
  fingerprint: string = fingerprintOf(envelope),
): OutboxRecord {
  const at = now.toISOString();
  return {
    id: outboxId(instance, envelope.id),
    instance,
    channel,
    eventId: envelope.id,
    eventType: envelope.type,
    body: render(envelope),
    fingerprint,
    status,
    attempts: 0,
    createdAt: at,
    updatedAt: at,
    nextAttemptAt: status === 'pending' ? at : null,
    ...(isTestEnvelope(envelope) ? { test: true as const } : {}),
  };
}

/**
 * A record's fields no attempt changes, and the ones every attempt sets, copied one by one: a
 * rest pattern that leaves fields out copies through V8's slow path (3–4 µs a record against
 * 0.5, measurable in the webhook benchmark).
 */
function carried(
  record: OutboxRecord,
  status: DeliveryStatus,
  attempts: number,
  at: string,
  nextAttemptAt: string | null,
): OutboxRecord {
  const next: OutboxRecord = {
    id: record.id,
    instance: record.instance,
    channel: record.channel,
    eventId: record.eventId,
    eventType: record.eventType,
    body: record.body,
    status,
    attempts,
    createdAt: record.createdAt,
    updatedAt: at,
    nextAttemptAt,
  };
  if (record.fingerprint !== undefined) next.fingerprint = record.fingerprint;
  if (record.deliveredAt !== undefined) next.deliveredAt = record.deliveredAt;
  if (record.test) next.test = true;
  return next;
}

/** The record after a successful attempt (`lastError` gone; `lastStatus` the new one, if any). */
export function delivered(
  record: OutboxRecord,
  attempts: number,
  now: Date,
  statusCode: number | undefined,
): OutboxRecord {
  const at = now.toISOString();
  const next = carried(record, 'delivered', attempts, at, null);
  next.deliveredAt = at;
  const lastStatus = statusCode ?? record.lastStatus;
  if (lastStatus !== undefined) next.lastStatus = lastStatus;
  return next;
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
  const after = carried(
    record,
    status,
    attempts,
    now.toISOString(),
    status === 'pending' && next ? next.toISOString() : null,
  );
  if (result.statusCode !== undefined) after.lastStatus = result.statusCode;
  if (result.error !== undefined) after.lastError = result.error;
  return after;
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
