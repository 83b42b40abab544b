import type { Envelope } from '../bus/envelope.js';
import type { EventMap, EventType } from '../bus/events.js';

/** The bus as one plugin instance sees it: publications are stamped with the instance name. */
export interface ScopedBus<E extends EventType = EventType> {
  /**
   * Publish an event; returns the envelope (its id is stable for the same fact). Only the types
   * the plugin declares in `emits` type-check (any type when it declares none).
   */
  publish<K extends E>(type: K, data: EventMap[K]): Envelope<K>;
  /**
   * Receive envelopes of the given types, asynchronously and in order. Removed automatically
   * when the instance stops; the returned function removes it earlier. `where` is asked at
   * publication (synchronously, must not throw): an envelope it refuses is never queued for this
   * subscription, so a handler that needs few events of a frequent type does not queue the rest.
   */
  subscribe<K extends EventType>(
    types: K | readonly K[],
    handler: (envelope: { [T in K]: Envelope<T> }[K]) => void | Promise<void>,
    options?: { where?: (envelope: { [T in K]: Envelope<T> }[K]) => boolean },
  ): () => Promise<void>;
}
