import type { Bus } from '../bus/bus.js';
import type { AnyEnvelope } from '../bus/envelope.js';
import type { EventType, TxSeen, WhaleSignal } from '../bus/events.js';
import type { DetectorHooks } from '../plugin/types.js';
import { createGate } from './gate.js';
import type { Runtime } from './instance.js';

/** Reports one detector's failure on one transaction. */
export type DetectorFailure = (instance: string, envelope: AnyEnvelope, error: unknown) => void;

/**
 * The detector chain: every `tx.seen` goes through the detectors in config order. The first
 * detector whose `admit` returns a signal admits the whale; then every detector's `annotate`
 * adds its fields, in config order; then exactly one `whale.detected` is published, with the
 * admitting instance as its source. A detector that throws is reported and skipped for that
 * transaction; the others and later transactions go on.
 *
 * Every other envelope whose type a detector with an `observe` hook lists in its definition's
 * `consumes` is handed to those detectors' `observe`, in config order. The chain takes `tx.seen`
 * and those types in one bus subscription and handles one envelope at a time, so detectors see
 * them all in publication order: a `tx.seen` is admitted and annotated after everything
 * published before it has been observed, and before anything published after it.
 */
export interface DetectorChain {
  /** Replace the detectors (config order). */
  set(detectors: Runtime[]): void;
  pause(): Promise<void>;
  resume(): void;
  close(): Promise<void>;
}

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> =>
  typeof (v as Promise<T> | null)?.then === 'function';

/** The chain's subscriber name on the bus. */
export const DETECTOR_CHAIN = 'detectors';

/** Longest an asynchronous detector hook may take on one transaction before it counts as failed. */
export const HOOK_TIMEOUT_MS = 5_000;

// A hook that never settles would stall detection for every later transaction.
async function bounded<T>(value: T | Promise<T>): Promise<T> {
  if (!isPromise(value)) return value;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      value,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`did not answer within ${HOOK_TIMEOUT_MS} ms`)),
          HOOK_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A detector's `observe` hook, for one of the types it consumes. */
interface Observer {
  name: string;
  hooks: DetectorHooks & Required<Pick<DetectorHooks, 'observe'>>;
}

/** Per event type, the detectors observing it, in config order (`tx.seen` goes to `admit`). */
function observersOf(detectors: readonly Runtime[]): Map<EventType, Observer[]> {
  const map = new Map<EventType, Observer[]>();
  for (const d of detectors) {
    const hooks = d.hooks as DetectorHooks | undefined;
    if (!hooks?.observe) continue;
    for (const type of new Set(d.plugin.consumes ?? [])) {
      if (type === 'tx.seen') continue;
      const list = map.get(type) ?? [];
      list.push({ name: d.config.name, hooks: hooks as Observer['hooks'] });
      map.set(type, list);
    }
  }
  return map;
}

export function createDetectorChain(
  bus: Bus,
  onFailure: DetectorFailure,
  onDetected: (latencySeconds: number) => void = () => {},
): DetectorChain {
  const gate = createGate();
  let detectors: Runtime[] = [];
  let observers = new Map<EventType, Observer[]>();
  let inflight: Promise<unknown> | null = null;
  // Detection latency runs from the moment tx.seen is published (queueing included). The chain
  // receives tx.seen in publication order, so publish times wait in a ring in that order: far
  // cheaper per transaction than a WeakMap keyed by envelope (measured: 15–20% of ingest). The
  // ring grows as it is written (slots are written in order), so a process at rest holds none of
  // its 1 MB.
  const RING = 1 << 16;
  const ringEnvelopes: Array<AnyEnvelope | undefined> = [];
  const ringTimes: number[] = [];
  let published = 0;
  let consumed = 0;
  bus.tap((e) => {
    if (e.type !== 'tx.seen' || detectors.length === 0) return;
    const slot = published++ & (RING - 1);
    ringEnvelopes[slot] = e;
    ringTimes[slot] = performance.now();
  });
  const publishedAt = (envelope: AnyEnvelope): number | undefined => {
    // Normally the next slot; after a queue overflow dropped some, look a little further.
    for (let i = 0; i < 64 && consumed < published; i++) {
      const slot = consumed++ & (RING - 1);
      const match = ringEnvelopes[slot] === envelope;
      ringEnvelopes[slot] = undefined;
      if (match) return ringTimes[slot];
    }
    return undefined;
  };

  // Most transactions are not whales and admit hooks are synchronous: that path returns
  // without creating a promise, so the chain costs the bus no extra turn per transaction.
  const run = (envelope: AnyEnvelope): void | Promise<void> => {
    const tx = envelope.data as TxSeen;
    const started = publishedAt(envelope);
    for (let i = 0; i < detectors.length; i++) {
      const d = detectors[i] as Runtime;
      const admit = (d.hooks as DetectorHooks | undefined)?.admit;
      if (!admit) continue;
      let result: WhaleSignal | null | Promise<WhaleSignal | null>;
      try {
        result = admit(tx);
      } catch (error) {
        onFailure(d.config.name, envelope, error);
        continue;
      }
      if (isPromise(result)) return admitAsync(envelope, tx, i, result, started);
      if (result) return annotate(envelope, tx, d, result, started);
    }
  };

  const admitAsync = async (
    envelope: AnyEnvelope,
    tx: TxSeen,
    from: number,
    first: Promise<WhaleSignal | null>,
    started: number | undefined,
  ): Promise<void> => {
    for (let i = from; i < detectors.length; i++) {
      const d = detectors[i] as Runtime;
      const admit = (d.hooks as DetectorHooks | undefined)?.admit;
      if (!admit) continue;
      let signal: WhaleSignal | null;
      try {
        signal = await bounded(i === from ? first : admit(tx));
      } catch (error) {
        onFailure(d.config.name, envelope, error);
        continue;
      }
      if (signal) return annotate(envelope, tx, d, signal, started);
    }
  };

  const annotate = async (
    envelope: AnyEnvelope,
    tx: TxSeen,
    admitter: Runtime,
    base: WhaleSignal,
    started: number | undefined,
  ): Promise<void> => {
    let signal = base;
    for (const d of detectors) {
      const hook = (d.hooks as DetectorHooks | undefined)?.annotate;
      if (!hook) continue;
      try {
        const extra = await bounded(hook(tx, signal));
        if (extra) signal = { ...signal, ...extra };
      } catch (error) {
        onFailure(d.config.name, envelope, error);
      }
    }
    bus.publish('whale.detected', signal, admitter.config.name);
    if (started !== undefined) onDetected((performance.now() - started) / 1000);
  };

  const observe = (envelope: AnyEnvelope): void | Promise<void> => {
    const list = observers.get(envelope.type);
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      const o = list[i] as Observer;
      let result: void | Promise<void>;
      try {
        result = o.hooks.observe(envelope);
      } catch (error) {
        onFailure(o.name, envelope, error);
        continue;
      }
      if (isPromise(result)) return observeAsync(envelope, list, i, result);
    }
  };

  const observeAsync = async (
    envelope: AnyEnvelope,
    list: Observer[],
    from: number,
    first: Promise<void>,
  ): Promise<void> => {
    for (let i = from; i < list.length; i++) {
      const o = list[i] as Observer;
      try {
        await bounded(i === from ? first : o.hooks.observe(envelope));
      } catch (error) {
        onFailure(o.name, envelope, error);
      }
    }
  };

  const handle = (envelope: AnyEnvelope): void | Promise<void> =>
    envelope.type === 'tx.seen' ? run(envelope) : observe(envelope);

  const track = (work: void | Promise<void>): void | Promise<void> => {
    if (!work) return;
    inflight = work;
    return work.finally(() => {
      if (inflight === work) inflight = null;
    });
  };

  const off = bus.subscribe(
    DETECTOR_CHAIN,
    // While paused for a reload every type waits in the queue: the detectors set before resuming
    // may observe types the current ones do not, and must see them in order with tx.seen.
    (type) => (type === 'tx.seen' ? detectors.length > 0 : observers.has(type) || !gate.isOpen()),
    (envelope) => (gate.isOpen() ? track(handle(envelope)) : gate.wait().then(() => track(handle(envelope)))),
  );

  return {
    set(next) {
      detectors = next;
      observers = observersOf(next);
    },
    async pause() {
      gate.close();
      await inflight;
    },
    resume() {
      gate.open();
    },
    close() {
      gate.open();
      return off();
    },
  };
}
