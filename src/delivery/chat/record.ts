import type { AnyEnvelope } from '../../bus/envelope.js';
import type { WhaleSignal } from '../../bus/events.js';
import { isTestEnvelope } from '../test-marker.js';

/** How a posted whale ended, as the chat message shows it. */
export type ChatOutcome =
  | { status: 'confirmed'; height: number; blocksWaited: number; minutesWaited: number }
  | { status: 'replaced'; byTxid: string; fullRbf: boolean }
  | { status: 'dropped'; reason: string };

/**
 * Where one chat's copy of a message stands.
 * - `pending`: to be posted (`nextAttemptAt` says when).
 * - `sending`: a post was started and its result not yet recorded. Found at start, it means the
 *   process died mid-post: the message may exist, so it becomes `unknown` and is never posted
 *   again (no double posts).
 * - `posted`: `messageId` shows version `syncedVersion`; an edit is due while it is older than
 *   the record's `version`.
 * - `unknown`: the post's fate is unknown (see `sending`; or the connection broke mid-request).
 * - `dead`: the platform refused it, or every retry failed.
 */
export type TargetStatus = 'pending' | 'sending' | 'posted' | 'unknown' | 'dead';

export interface TargetState {
  status: TargetStatus;
  messageId: string | null;
  syncedVersion: number;
  /** Failed attempts since the last success (posts and edits count alike). */
  attempts: number;
  nextAttemptAt: string | null;
  lastError?: string;
}

/**
 * One alert of one chat output instance (collection `messages`, key `id`): what it must show
 * and, per chat, the message showing it. A whale's record is keyed by txid, so a re-published
 * `whale.detected` (after a restart or reconnect) finds it and posts nothing new.
 */
export interface ChatMessageRecord {
  /** `${instance}/${key}`. */
  id: string;
  instance: string;
  /** `whale`: a whale and its outcome (edited in place); `notice`: any other event (posted once). */
  kind: 'whale' | 'notice';
  /** The txid (whale) or the event id (notice). */
  key: string;
  signal?: WhaleSignal;
  outcome?: ChatOutcome;
  notice?: AnyEnvelope;
  /** Bumped on every change of what the message must show. */
  version: number;
  targets: Record<string, TargetState>;
  createdAt: string;
  updatedAt: string;
  /** A test alert (`spout test OUTPUT`): shown with the test label. Absent otherwise. */
  test?: true;
}

/** Store key of an alert of an instance. */
export function messageId(instance: string, key: string): string {
  return `${instance}/${key}`;
}

/** True when the chat's copy needs a post or an edit. */
export function needsSync(record: ChatMessageRecord, target: TargetState): boolean {
  return target.status === 'pending' || (target.status === 'posted' && target.syncedVersion < record.version);
}

const fresh = (now: string): TargetState => ({
  status: 'pending',
  messageId: null,
  syncedVersion: 0,
  attempts: 0,
  nextAttemptAt: now,
});

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The record after an envelope, or null when the envelope changes nothing (a repeated
 * `whale.detected`, an outcome of a whale this instance never posted, a repeated notice).
 * Pure. A whale seen again keeps its first signal, completed with what that lacked; nothing
 * changes after an outcome; the first outcome wins. A `whale.updated` of a posted, pending whale
 * replaces its urgency and ETA (an edit); of a settled or unknown whale it changes nothing (no
 * new message for an update).
 */
export function applyEnvelope(
  current: ChatMessageRecord | undefined,
  envelope: AnyEnvelope,
  instance: string,
  chats: readonly string[],
  now: Date,
): ChatMessageRecord | null {
  const at = now.toISOString();
  const bump = (record: ChatMessageRecord, change: Partial<ChatMessageRecord>): ChatMessageRecord => ({
    ...record,
    ...change,
    version: record.version + 1,
    updatedAt: at,
  });
  const create = (kind: ChatMessageRecord['kind'], key: string, change: Partial<ChatMessageRecord>) => ({
    id: messageId(instance, key),
    instance,
    kind,
    key,
    version: 1,
    targets: Object.fromEntries(chats.map((c) => [c, fresh(at)])),
    createdAt: at,
    updatedAt: at,
    ...(isTestEnvelope(envelope) ? { test: true as const } : {}),
    ...change,
  });
  switch (envelope.type) {
    case 'whale.detected': {
      if (!current) return create('whale', envelope.data.txid, { signal: envelope.data });
      if (current.outcome || !current.signal) return null;
      // Seen again (a restart, a reconnect): the first sighting stands; only what it lacked (an
      // annotation, a USD price) is added. So a reconnect does not edit every live whale, and a
      // recovered partial sighting never takes facts away.
      const first = current.signal;
      const next = envelope.data;
      const signal: WhaleSignal = {
        ...first,
        ...(first.valueUsd === null && next.valueUsd !== null ? { valueUsd: next.valueUsd } : {}),
        ...(!first.urgency && next.urgency ? { urgency: next.urgency } : {}),
        ...(!first.rbf && next.rbf ? { rbf: next.rbf } : {}),
        ...(!first.flow && next.flow ? { flow: next.flow } : {}),
      };
      if (sameJson(first, signal)) return null;
      return bump(current, { signal });
    }
    case 'whale.updated': {
      if (!current || current.kind !== 'whale' || current.outcome || !current.signal) return null;
      const { urgency, eta } = envelope.data;
      const signal: WhaleSignal = { ...current.signal, urgency, eta };
      if (sameJson(current.signal, signal)) return null;
      return bump(current, { signal });
    }
    case 'whale.confirmed': {
      if (!current || current.kind !== 'whale' || current.outcome) return null;
      const { height, blocksWaited, minutesWaited } = envelope.data;
      return bump(current, { outcome: { status: 'confirmed', height, blocksWaited, minutesWaited } });
    }
    case 'whale.replaced': {
      if (!current || current.kind !== 'whale' || current.outcome) return null;
      const { byTxid, fullRbf } = envelope.data;
      return bump(current, { outcome: { status: 'replaced', byTxid, fullRbf } });
    }
    case 'whale.dropped': {
      if (!current || current.kind !== 'whale' || current.outcome) return null;
      return bump(current, { outcome: { status: 'dropped', reason: envelope.data.reason } });
    }
    default:
      if (current) return null;
      return create('notice', envelope.id, { notice: envelope });
  }
}

/** The store key an envelope's alert lives under: the txid of whale events, else the event id. */
export function keyOf(envelope: AnyEnvelope): string {
  return envelope.type.startsWith('whale.') ? (envelope.data as { txid: string }).txid : envelope.id;
}
