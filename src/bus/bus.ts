import { createEnvelope, type AnyEnvelope, type Envelope } from './envelope.js';
import type { EventMap, EventType } from './events.js';

/** Which events a subscription takes: a list of types, every type, or a predicate on the type. */
export type Selector = readonly EventType[] | '*' | ((type: EventType) => boolean);

/** Handler for the envelopes a selector admits. */
export type Handler = (envelope: AnyEnvelope) => void | Promise<void>;
/** Decides at publication whether a subscription queues an envelope its selector admits. */
export type Where = (envelope: AnyEnvelope) => boolean;

/** Stops a subscription; resolves once its in-flight handler call (if any) has returned. */
export type Unsubscribe = () => Promise<void>;

/** A handler failure, reported once per failing call. */
export interface HandlerFailure {
  subscriber: string;
  envelope: AnyEnvelope;
  error: unknown;
}

export interface BusOptions {
  /** Called for every handler that throws or rejects; the bus keeps delivering to everyone. */
  onError?: (failure: HandlerFailure) => void;
  /** Called when a subscriber's queue is full and an event is not queued for it. */
  onOverflow?: (subscriber: string, envelope: AnyEnvelope) => void;
  /** Most events waiting for one subscriber before new ones are refused for it. Default 100,000. */
  maxQueue?: number;
  now?: () => Date;
}

/**
 * The typed event bus.
 *
 * Semantics: `publish` stamps an envelope, hands it to every matching subscriber's queue and
 * returns at once (never waiting for handlers, never throwing for them). Each subscriber gets its
 * envelopes asynchronously, one at a time, in publication order; subscribers run concurrently
 * with each other. A handler that throws is reported through `onError` and the subscriber goes on
 * with its next envelope. `drain()` resolves when every queue is empty and no handler is running,
 * including events published by handlers while draining.
 *
 * Ordering holds within one subscription only (one `subscribe` call: every type it selects, in
 * publication order). Between subscriptions — even two with the same subscriber name — there is
 * none: an envelope published after another may be handled by one subscription before the
 * earlier one reaches another, because a subscription whose queue is already being worked
 * through takes later envelopes in the same turn, ahead of a subscription the earlier envelope
 * woke. So what one subscription's handler records is not guaranteed to be visible to another
 * subscription's handler of a later envelope; a consumer that needs it takes both types in one
 * subscription.
 */
export interface Bus {
  /**
   * Stamp an envelope and queue it for every subscription whose selector admits `type`; returns
   * it at once. Handlers run later, never inside this call (see {@link Bus} for ordering).
   */
  publish<K extends EventType>(type: K, data: EventMap[K], source: string): Envelope<K>;
  /** Publish an envelope as it is (its id and time kept), e.g. one restored from storage. */
  publishEnvelope(envelope: AnyEnvelope): void;
  /**
   * Deliver what `selector` admits to `handler`: asynchronously, one envelope at a time, in
   * publication order within this subscription; no order relative to other subscriptions.
   * `where`, when given, is asked synchronously at publication: an envelope it refuses is never
   * queued for this subscription (a consumer that needs few of a frequent type queues only
   * those). It must not throw; one that throws refuses the envelope.
   */
  subscribe(subscriber: string, selector: Selector, handler: Handler, where?: Where): Unsubscribe;
  /** Synchronous observer of every published envelope, for tracing and tests; not for routing. */
  tap(observer: (envelope: AnyEnvelope) => void): () => void;
  drain(): Promise<void>;
  /** Events queued or being handled, in total and per subscriber. */
  depth(): { total: number; bySubscriber: Record<string, number> };
  /** The subscriber names of the open subscriptions whose selector takes `type` now (taps are not counted). */
  subscribersOf(type: EventType): string[];
}

interface Subscription {
  subscriber: string;
  accepts: (type: EventType) => boolean;
  where: Where | undefined;
  handler: Handler;
  queue: AnyEnvelope[];
  head: number;
  running: boolean;
  closed: boolean;
  idle: Promise<void> | null;
  resolveIdle: (() => void) | null;
}

/** Create a bus. See {@link Bus} for the delivery semantics. */
export function createBus(options: BusOptions = {}): Bus {
  const subs = new Set<Subscription>();
  const taps = new Set<(envelope: AnyEnvelope) => void>();
  const maxQueue = options.maxQueue ?? 100_000;
  const now = options.now ?? (() => new Date());
  let pending = 0;
  let drainWaiters: Array<() => void> = [];

  const settle = (n: number): void => {
    pending -= n;
    if (pending === 0 && drainWaiters.length > 0) {
      const waiters = drainWaiters;
      drainWaiters = [];
      for (const w of waiters) w();
    }
  };

  const pump = async (sub: Subscription): Promise<void> => {
    sub.running = true;
    while (!sub.closed && sub.head < sub.queue.length) {
      const envelope = sub.queue[sub.head] as AnyEnvelope;
      sub.queue[sub.head++] = undefined as unknown as AnyEnvelope;
      if (sub.head > 1024 && sub.head * 2 > sub.queue.length) {
        sub.queue = sub.queue.slice(sub.head);
        sub.head = 0;
      }
      try {
        // Await only real promises: a synchronous handler costs no extra microtask turn.
        const result = sub.handler(envelope);
        if (result !== undefined && typeof (result as Promise<void>).then === 'function') await result;
      } catch (error) {
        report(sub, envelope, error);
      }
      settle(1);
    }
    sub.running = false;
    sub.resolveIdle?.();
    sub.idle = null;
    sub.resolveIdle = null;
  };

  const report = (sub: Subscription, envelope: AnyEnvelope, error: unknown): void => {
    try {
      options.onError?.({ subscriber: sub.subscriber, envelope, error });
    } catch {
      // An error sink that throws must not stop delivery either.
    }
  };

  const dispatch = (envelope: AnyEnvelope): void => {
    for (const observer of taps) {
      try {
        observer(envelope);
      } catch {
        // Observers are for tracing; they never affect delivery.
      }
    }
    for (const sub of subs) {
      if (sub.closed || !sub.accepts(envelope.type) || (sub.where && !admits(sub.where, envelope))) continue;
      if (sub.queue.length - sub.head >= maxQueue) {
        options.onOverflow?.(sub.subscriber, envelope);
        continue;
      }
      sub.queue.push(envelope);
      pending++;
      if (!sub.running) {
        sub.running = true;
        queueMicrotask(() => void pump(sub));
      }
    }
  };

  const admits = (where: Where, envelope: AnyEnvelope): boolean => {
    try {
      return where(envelope);
    } catch {
      return false;
    }
  };

  const toPredicate = (selector: Selector): ((type: EventType) => boolean) => {
    if (selector === '*') return () => true;
    if (typeof selector === 'function') return selector;
    const set = new Set<EventType>(selector);
    return (type) => set.has(type);
  };

  return {
    publish(type, data, source) {
      const envelope = createEnvelope(type, data, source, now());
      dispatch(envelope as AnyEnvelope);
      return envelope;
    },
    publishEnvelope(envelope) {
      dispatch(envelope);
    },
    subscribe(subscriber, selector, handler, where) {
      const sub: Subscription = {
        subscriber,
        accepts: toPredicate(selector),
        where,
        handler,
        queue: [],
        head: 0,
        running: false,
        closed: false,
        idle: null,
        resolveIdle: null,
      };
      subs.add(sub);
      return async () => {
        if (sub.closed) return;
        sub.closed = true;
        subs.delete(sub);
        const dropped = sub.queue.length - sub.head;
        sub.queue = [];
        sub.head = 0;
        if (sub.running) {
          sub.idle ??= new Promise<void>((resolve) => (sub.resolveIdle = resolve));
          // The envelope being handled settles itself when its handler returns.
          settle(dropped);
          await sub.idle;
        } else {
          settle(dropped);
        }
      };
    },
    subscribersOf(type) {
      const names: string[] = [];
      for (const sub of subs) if (!sub.closed && sub.accepts(type)) names.push(sub.subscriber);
      return names;
    },
    tap(observer) {
      taps.add(observer);
      return () => void taps.delete(observer);
    },
    drain() {
      if (pending === 0) return Promise.resolve();
      return new Promise<void>((resolve) => drainWaiters.push(resolve));
    },
    depth() {
      const bySubscriber: Record<string, number> = {};
      for (const sub of subs) {
        const n = sub.queue.length - sub.head;
        bySubscriber[sub.subscriber] = (bySubscriber[sub.subscriber] ?? 0) + n;
      }
      return { total: pending, bySubscriber };
    },
  };
}
