import type { Logger } from 'pino';
import { TypedEmitter } from 'tiny-typed-emitter';
import type { EventType } from '../bus/events.js';
import type { PluginKind } from '../plugin/types.js';
import type { HealthChange } from './health.js';
import type { KernelState } from './kernel.js';
import type { ReloadReport } from './reload.js';

export type { HealthChange } from './health.js';

/**
 * Where an isolated run-time failure happened: an output's `deliver`, a handler a plugin
 * subscribed with `ctx.bus.subscribe`, a hook the detector chain runs (its failure report
 * does not say which hook), or a run of a task on the instance's scheduler.
 */
export type HandlerPhase = 'deliver' | 'subscribe' | 'detect' | 'scheduled';

/** One handler call that threw or rejected; the kernel went on with the next event. */
export interface HandlerErrorEvent {
  /** The instance whose code failed. */
  instance: string;
  /** Its plugin kind; absent when it is no longer (or never was) a configured instance. */
  kind?: PluginKind;
  phase: HandlerPhase;
  /** The event being handled (absent for a scheduled run). */
  eventType?: EventType;
  eventId?: string;
  /** The scheduled task's name (for `scheduled`). */
  task?: string;
  error: unknown;
}

/**
 * The outcome of one `reload()` call: `ok: true` with the report when it resolved (instances
 * that failed to come back are in `failed`), `ok: false` with the error when it rejected
 * (refused because of the kernel's state, or thrown).
 */
export type ReloadOutcome = ({ ok: true } & ReloadReport) | { ok: false; error: unknown };

/** The kernel moved from one phase of its life to the next. */
export interface StateChange {
  from: KernelState;
  to: KernelState;
}

/** Every kernel event and its payload (one object per event). */
export interface KernelEventMap {
  /** A handler failed at run time; emitted after the kernel logged and counted it. */
  handlerError: HandlerErrorEvent;
  /** An instance's entry as `/health` shows it was created or changed (state, phase or reason). */
  health: HealthChange;
  /** A `reload()` call settled; emitted before its caller sees the result. */
  reload: ReloadOutcome;
  /** `created → starting → running → stopping → stopped` (a failed start goes `starting → stopping`). */
  state: StateChange;
}

export type KernelEventName = keyof KernelEventMap;
export type KernelListener<K extends KernelEventName> = (event: KernelEventMap[K]) => void;

/**
 * The kernel's events, for programs that embed it (`kernel.events`).
 *
 * Semantics: listeners run synchronously, in registration order, where the fact happens (a
 * handler error as soon as it is logged and counted; a state change as soon as the state is
 * set), and never before the kernel's own log line of that fact. They are not awaited. A
 * listener that throws (or returns a promise that rejects) is logged at error level, once per
 * failure, and the other listeners and the kernel go on; that failure is not itself an event.
 * An event caused by a listener (say, `stop()` called on `state`) is delivered once the current
 * one has reached every listener, so every listener sees the facts in order.
 *
 * @example
 * const off = kernel.events.on('handlerError', (e) => alert(`${e.instance} ${e.phase}: ${e.error}`));
 * kernel.events.once('state', ({ to }) => console.log(`kernel ${to}`));
 * off(); // or kernel.events.off('handlerError', listener)
 */
export interface KernelEvents {
  /** Call `listener` on every `event`; returns a function that removes it. */
  on<K extends KernelEventName>(event: K, listener: KernelListener<K>): () => void;
  /** Call `listener` on the next `event` only; returns a function that removes it before then. */
  once<K extends KernelEventName>(event: K, listener: KernelListener<K>): () => void;
  /** Remove `listener` (one registration of it, the latest, when added twice). */
  off<K extends KernelEventName>(event: K, listener: KernelListener<K>): void;
}

/** The kernel's side: `events` to hand out, `emit` to keep. */
export interface KernelEmitter {
  readonly events: KernelEvents;
  /** Deliver `payload` to the listeners of `event`; never throws. */
  emit<K extends KernelEventName>(event: K, payload: KernelEventMap[K]): void;
}

// Typed at the `KernelEvents` surface; inside, a listener only has to take one payload.
type Listeners = Record<KernelEventName, (event: never) => unknown>;

export function createKernelEmitter(log: Logger): KernelEmitter {
  const emitter = new TypedEmitter<Listeners>();
  const queued: Array<() => void> = [];
  let delivering = false;

  const failed = (event: KernelEventName, error: unknown) =>
    log.error(
      { event, err: error },
      `a listener of the kernel's "${event}" event failed: ${(error as Error)?.message ?? String(error)}; the kernel goes on`,
    );

  const deliver = <K extends KernelEventName>(event: K, payload: KernelEventMap[K]) => {
    // rawListeners is a copy, and a `once` wrapper removes itself when called.
    for (const listener of emitter.rawListeners(event)) {
      try {
        const result = (listener as (event: KernelEventMap[K]) => unknown)(payload);
        if (typeof (result as Promise<unknown> | undefined)?.then === 'function')
          (result as Promise<unknown>).then(undefined, (error: unknown) => failed(event, error));
      } catch (error) {
        failed(event, error);
      }
    }
  };

  return {
    events: {
      on(event, listener) {
        emitter.on(event, listener);
        return () => void emitter.off(event, listener);
      },
      once(event, listener) {
        emitter.once(event, listener);
        return () => void emitter.off(event, listener);
      },
      off(event, listener) {
        emitter.off(event, listener);
      },
    },
    emit(event, payload) {
      if (emitter.listenerCount(event) === 0) return;
      queued.push(() => deliver(event, payload));
      if (delivering) return;
      delivering = true;
      try {
        for (let next = queued.shift(); next; next = queued.shift()) next();
      } finally {
        delivering = false;
      }
    },
  };
}

/** Tell `emitter`'s listeners how a reload settled, before its caller hears of it. */
export function tellReload(emitter: KernelEmitter, result: Promise<ReloadReport>): Promise<ReloadReport> {
  result.then(
    (report) => emitter.emit('reload', { ok: true, ...report }),
    (error: unknown) => emitter.emit('reload', { ok: false, error }),
  );
  return result;
}
