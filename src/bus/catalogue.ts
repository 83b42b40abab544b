/**
 * The catalogue's tables over {@link EventMap} (the payload types are in `events.ts`): how each
 * event type's id is keyed, every event type in order, and which kind of component produces each.
 */
import type { EventMap, EventType } from './events.js';

/**
 * How the id of an event type is keyed (the envelope id is derived from it, see `eventId`):
 *
 * - `fact`: by what the event is about (a txid, a block hash). The same fact always gets the same
 *   id, whoever publishes it and whenever: a retry, a restart or a second input never gives the
 *   same whale a new id, and every output can deduplicate on it.
 * - `moment`: the event reports a state at a moment (a mempool snapshot, a connection change, an
 *   accuracy alert), so each publication is its own fact. Its key is the publishing instance, the
 *   publication time and a sequence number of that instance's moment events in this process
 *   (`source@time#seq`): two instances publishing in the same millisecond, or one instance
 *   publishing twice in it, never share an id.
 */
export type IdKey<D> = { by: 'fact'; key: (data: D) => string } | { by: 'moment' };

const fact = <D>(key: (data: D) => string): IdKey<D> => ({ by: 'fact', key });
const MOMENT = { by: 'moment' } as const;

/**
 * What identifies each event type's fact. `{ [K in EventType]: … }` makes adding an event without
 * a key a compile error.
 */
export const EVENT_KEYS: { [K in EventType]: IdKey<EventMap[K]> } = {
  'tx.seen': fact((d) => d.txid),
  'tx.replaced': fact((d) => `${d.txid}>${d.byTxid}`),
  'tx.removed': fact((d) => d.txid),
  // A position is a state at a moment: a transaction may return to an earlier one.
  'tx.position': MOMENT,
  'block.connected': fact((d) => d.hash),
  'block.disconnected': fact((d) => d.hash),
  'mempool.stats': MOMENT,
  'input.status': MOMENT,
  'whale.detected': fact((d) => d.txid),
  // Not `${txid}@${predictedBlocks}`: a prediction going 3 → 2 → 3 would give the second 3 the id
  // of the first, and outputs that deduplicate by id (the webhook outbox) would drop the latest.
  'whale.updated': MOMENT,
  'whale.confirmed': fact((d) => d.txid),
  'whale.replaced': fact((d) => d.txid),
  'whale.dropped': fact((d) => d.txid),
  'accuracy.degraded': MOMENT,
  'accuracy.recovered': MOMENT,
};

/** Every event type, in catalogue order. */
export const EVENT_TYPES = Object.keys(EVENT_KEYS) as EventType[];

/** Which component produces each event (documentation and `spout check`). */
export const EVENT_PRODUCERS: Record<EventType, 'input' | 'detector' | 'job'> = {
  'tx.seen': 'input',
  'tx.replaced': 'input',
  'tx.removed': 'input',
  'tx.position': 'input',
  'block.connected': 'input',
  'block.disconnected': 'input',
  'mempool.stats': 'input',
  'input.status': 'input',
  'whale.detected': 'detector',
  'whale.updated': 'detector',
  'whale.confirmed': 'job',
  'whale.replaced': 'job',
  'whale.dropped': 'job',
  'accuracy.degraded': 'job',
  'accuracy.recovered': 'job',
};
