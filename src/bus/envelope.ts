import { hash } from 'node:crypto';
import { EVENT_KEYS, type IdKey } from './catalogue.js';
import type { EventMap, EventType } from './events.js';

/** What travels on the bus: one event with its identity, time and producer. */
export interface Envelope<K extends EventType = EventType> {
  /**
   * Derived from the type and the fact's key, never random: stable for the same fact, and for an
   * event reporting a moment, unique to its source and publication (see `EVENT_KEYS`).
   */
  id: string;
  type: K;
  /** ISO 8601 time of publication. */
  time: string;
  /** Instance name of the producer (stamped by the kernel, not chosen by the plugin). */
  source: string;
  data: EventMap[K];
}

/** Any envelope, as a union discriminated by `type`. */
export type AnyEnvelope = { [K in EventType]: Envelope<K> }[EventType];

/**
 * Derive the envelope id for a fact: `evt_` + 32 hex digits (128 bits) of SHA-256(type, key).
 * The same type and key always give the same id, across processes and restarts.
 */
export function eventId(type: EventType, key: string): string {
  return 'evt_' + hash('sha256', `${type}\0${key}`).slice(0, 32);
}

/**
 * The key of a moment-keyed event (see `IdKey`): `source@time#seq`. `seq` counts the moment
 * events of `source` in this process, from 0, and never goes back, so within one process two
 * publications never share a key, even with a clock that stands still or steps back. A restart
 * starts the count again at 0; the time tells the two runs apart (a process takes far more than
 * a millisecond to restart), unless the clock is set back onto a millisecond in which the same
 * instance published before, the same number of moment events into its run. An outbox meeting
 * such an id with other contents keeps both deliveries apart (`plugins/outputs/outbox/record.ts`).
 */
function momentKey(source: string, time: string): string {
  const seq = sequences.get(source) ?? 0;
  sequences.set(source, seq + 1);
  return `${source}@${time}#${seq}`;
}
const sequences = new Map<string, number>();

/** Build an envelope, its id derived from the catalogue's key for the fact (`EVENT_KEYS`). */
export function createEnvelope<K extends EventType>(
  type: K,
  data: EventMap[K],
  source: string,
  now: Date = new Date(),
): Envelope<K> {
  const time = isoTime(now);
  const rule = EVENT_KEYS[type];
  const key = rule.by === 'fact' ? rule.key(data) : momentKey(source, time);
  return { id: eventId(type, key), type, time, source, data };
}

/**
 * What an envelope says, apart from its id, as far as it tells one event from another: for a
 * fact-keyed type the type and the fact's key (a whale seen again later, or by another input, is
 * the same event); for a moment-keyed type the type, source, time and payload. Two envelopes
 * with one id and different facts are different events: an id collision, never a replay.
 */
export function factOf(envelope: AnyEnvelope): string {
  const rule = EVENT_KEYS[envelope.type] as IdKey<unknown> | undefined;
  if (rule?.by === 'fact') return `${envelope.type}\0${rule.key(envelope.data)}`;
  return `${envelope.type}\0${envelope.source}\0${envelope.time}\0${JSON.stringify(envelope.data)}`;
}

// Many events share a millisecond under load; formatting the time once per millisecond is
// measurably cheaper than once per event.
let lastMs = Number.NaN;
let lastIso = '';
function isoTime(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = date.toISOString();
  }
  return lastIso;
}
