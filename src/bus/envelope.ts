import { hash } from 'node:crypto';
import { EVENT_KEYS, type EventMap, type EventType } from './events.js';

/** What travels on the bus: one event with its identity, time and producer. */
export interface Envelope<K extends EventType = EventType> {
  /** Stable for the same fact: derived from the type and the fact's key, never random. */
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

/** Build an envelope; `id` defaults to the catalogue's key for the fact. */
export function createEnvelope<K extends EventType>(
  type: K,
  data: EventMap[K],
  source: string,
  now: Date = new Date(),
): Envelope<K> {
  const time = isoTime(now);
  return { id: eventId(type, EVENT_KEYS[type](data, time)), type, time, source, data };
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
