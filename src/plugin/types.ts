import type { MemoryLevel } from '../kernel/memory.js';
import type { RevocationListener, TokenHub } from '../auth/hub.js';
import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AnyEnvelope } from '../bus/envelope.js';
import type { EventType, TxSeen, WhaleSignal } from '../bus/events.js';
import type { Store } from '../store/port.js';
import type { LimitOptions, RateLimiter } from '../auth/rate-limit.js';
import type { HttpRoutes } from '../http/server.js';
import type { Scheduler } from '../kernel/scheduler.js';
import type { ScopedBus } from './scoped-bus.js';
import type { AuthSettings, OptionsContext } from './options-context.js';
import type { ChatQueueOptions, ChatSchedule } from '../delivery/chat/schedule.js';
import type { Deliverable, OutboxWorker, WorkerDeps } from '../delivery/outbox/worker.js';

/** The four kinds of plugin, one per config section (`inputs:` holds `input` plugins, …). */
export type PluginKind = 'input' | 'detector' | 'output' | 'job';

/** An event type, a family (`whale.*`) or every event (`*`), as written in `events:`. */
export type EventPattern = EventType | `${string}.*` | '*';

/** Health an instance reports; `/health` answers 503 when any instance is unhealthy. */
export type HealthState = 'healthy' | 'degraded' | 'unhealthy';

export type { ScopedBus } from './scoped-bus.js';
export type { AuthSettings, OptionsContext } from './options-context.js';

/** Everything a plugin instance gets from the kernel. Valid from `setup` until its stop ends. */
export interface PluginContext<O, E extends EventType = EventType> {
  /** The instance name (the key under its section in the YAML). */
  readonly instance: string;
  readonly kind: PluginKind;
  /**
   * The instance's options: what the plugin's `resolve` made of them, or without one the
   * schema-checked, defaulted and deep-frozen options (reserved keys removed).
   */
  readonly options: Readonly<O>;
  /** Child logger; every line carries `instance`. Secrets are scrubbed before output. */
  readonly log: Logger;
  readonly bus: ScopedBus<E>;
  readonly store: Store;
  /** Routes on the shared HTTP server; removed when the instance stops. */
  readonly http: HttpRoutes;
  /** Cron and interval tasks; they run only while the instance is started. */
  readonly scheduler: Scheduler;
  /** The process's Prometheus registry. */
  readonly metrics: Registry;
  /** Report this instance's health (shown by `/health`). */
  readonly health: { set(state: HealthState, reason?: string): void };
  /** Aborted when the instance starts stopping. */
  readonly signal: AbortSignal;
  /** Register a clean-up; handlers run last-in-first-out, awaited and time-boxed. */
  onStop(fn: () => void | Promise<void>): void;
  /** Resolve a path from the options: relative paths start at the config file's folder. */
  resolve(path: string): string;
  /**
   * The time now, in epoch ms, on the kernel's clock: the wall clock in `spout run`, the
   * recording's clock in `spout backtest`. Read time through it (not `Date.now()`) for anything
   * compared with the data's own times, so a replay gives the same answers as the live run.
   */
  now(): number;
  /**
   * True when this process continues the work of another that stopped without handing over
   * (`engine: redis`: a leader after an earlier one, whose state is in the shared store). What
   * an input recovers after a reconnect it should recover at its first connection then, since
   * what arrived during the handover was seen by no one.
   */
  readonly resumed: boolean;
  /**
   * For outputs marked `everyInstance`: `since(eventId)` resolves with the envelopes routed here
   * after that one, oldest first (the last 1,000, at most 4 MiB, in process; the deployment's
   * stream with `engine: redis`), or null when unknown or too old (always, for other plugins).
   */
  readonly history: { since(eventId: string): Promise<AnyEnvelope[] | null> };
  /**
   * A rate limit per key (an address key, see `addressKey`): in one process the same as
   * `createRateLimiter`; with `engine: redis` shared by the deployment's instances, so that
   * three instances do not allow three times the rate (docs/scaling.md).
   */
  limiter(options: LimitOptions): RateLimiter;
  /**
   * A durable outbox for this output's deliveries (webhook, e-mail: at-least-once, retried on
   * `scheduleMs`, dead letters). In one process it is kept in the store; with `engine: redis`
   * each delivery is a job made by whichever instance of the deployment is free (docs/scaling.md).
   */
  outbox<D extends Deliverable>(
    deps: Omit<WorkerDeps<D>, 'instance' | 'store' | 'log' | 'signal'>,
  ): OutboxWorker<D>;
  /**
   * Where a chat output's posts and edits wait until due (`createChatInstance` asks): in process,
   * paced; with `engine: redis`, one BullMQ queue per chat, limited at the platform's `limit`.
   */
  chatQueue(options: ChatQueueOptions): ChatSchedule;
  /**
   * Deliveries kept outside the store (`engine: redis`: the finished jobs of this process's
   * delivery queues, with their attempts): `prune(cutoff)` deletes those finished before `cutoff`
   * (epoch ms) and resolves with how many. Always 0 in one process, where the store holds them.
   */
  readonly queuedDeliveries: { prune(cutoff: number): Promise<number> };
  /**
   * Memory pressure (`kernel.memory`): `level()` is `normal`, `warning` (shrink caches) or
   * `critical` (also shed optional work); `onChange(fn)` tells each change (left at the
   * instance's stop). A detector that has no use for transactions moving at most N sats
   * declares it with `declareFloor(N)` (withdrawn at its stop); `floorSats()` is the smallest
   * declared floor, or null: while critical, an input may drop `tx.seen` at or below it.
   * A consumer that reads only transactions some detector admitted (the correlation job)
   * declares `Infinity`: it adds no floor of its own but does not hold the interest floor back.
   *
   * `interestFloorSats()` is the floor at all times: non-null only when every running instance
   * that reads `tx.seen` (a detector that admits, a job consuming it, an output routed it) has
   * declared a floor; an input may then skip transactions at or below it before building them.
   * It can change at any moment (a reload adds a consumer): read it per frame, not once.
   */
  readonly memory: {
    level(): MemoryLevel;
    onChange(fn: (level: MemoryLevel, previous: MemoryLevel) => void): void;
    declareFloor(sats: number): void;
    floorSats(): number | null;
    interestFloorSats(): number | null;
  };
  /**
   * The subscriber and API tokens issued with `spout token create`, shared by every instance of
   * the process: `await ctx.tokens.join(onRevoke)` gives the hub (`registry.isRevoked(jti)`,
   * `revoke(jti)`); `onRevoke(jti)` is told of each revocation (also one made by the CLI while
   * the process runs) and returns how many connections it closed. Left at the instance's stop.
   */
  readonly tokens: { join(onRevoke?: RevocationListener): Promise<TokenHub> };
  /**
   * The configuration's `auth:` section (`secret`: the HS256 key of subscriber and API tokens).
   * For verifying tokens only: never log it. Changes need a restart, like `auth:` itself.
   */
  readonly auth?: Readonly<AuthSettings>;
}

interface BaseDefinition<K extends PluginKind, S extends TSchema, R, E extends EventType> {
  readonly kind: K;
  /** The name `use:` refers to; unique per kind. */
  readonly name: string;
  readonly description?: string;
  /**
   * JSON Schema of the plugin's options (build it with TypeBox's `Type`). Mark secret options
   * with `secret: true` so they are masked everywhere.
   */
  readonly options: S;
  /**
   * Event types this plugin subscribes to (shown by `spout check`). For a detector with an
   * `observe` hook, also the types the chain hands it, in order with the transactions.
   */
  readonly consumes?: readonly EventType[];
  /**
   * Event types this plugin publishes (shown by `spout check`, which warns of outputs waiting for
   * events nothing publishes). `ctx.bus.publish` accepts only these.
   */
  readonly emits?: readonly E[];
  /**
   * Checks the schema cannot express (two options against each other, a file the options name).
   * Runs while the configuration loads — so `spout check` reports them too, with the instance's
   * line — after schema validation and defaults (for an instance whose options passed the
   * schema, even when other parts of the file have problems). Throw what {@link optionError}
   * makes to have the problem located at an option (a plain Error is located at the instance);
   * to report several problems in one pass, throw one whose `errors` lists them (an
   * `AggregateError`, or what `problemList` throws). Messages say what is wrong and how to fix
   * it, never a secret's value. Use `resolve` instead when the check computes something setup
   * needs.
   */
  validate?(options: Static<S>, context: OptionsContext): void | Promise<void>;
  /**
   * Turn the schema-checked options into what the instance works with (durations in ms, parsed
   * URLs, compiled templates), checking what the schema cannot. Runs once per configuration
   * load, after `validate`, with the same rules for errors; its result is `ctx.options`. Without
   * it, `ctx.options` is the schema-checked options themselves.
   */
  resolve?(options: Static<S>, context: OptionsContext): R | Promise<R>;
}

/**
 * What every instance is, as its `setup` returns it. Each member is optional. `start` is called
 * after every instance's setup succeeded and consumers started (inputs begin producing there);
 * `stop` when the instance stops, after its signal is aborted and its scheduled tasks ended and
 * before the `onStop` handlers registered during setup (all time-boxed together by
 * `kernel.stopTimeout`).
 */
export interface InstanceHandle {
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/** An input: produces events from the outside world, from `start` on. */
export interface InputDefinition<
  S extends TSchema = TSchema,
  R = Static<S>,
  E extends EventType = EventType,
> extends BaseDefinition<'input', S, R, E> {
  setup(ctx: PluginContext<R, E>): InstanceHandle | void | Promise<InstanceHandle | void>;
  /** @deprecated Return `start` from `setup` instead. Called after the handle's `start`. */
  start?(ctx: PluginContext<R, E>): void | Promise<void>;
}

/** Returned by a detector's setup: how it takes part in the detector chain. */
export interface DetectorHooks extends InstanceHandle {
  /**
   * Admit a transaction as a whale: return the base signal, or null. The first admitting
   * detector in config order wins; later ones are not asked.
   */
  admit?(tx: TxSeen): WhaleSignal | null | Promise<WhaleSignal | null>;
  /**
   * Add fields to an admitted whale's signal (urgency, rbf, flow, …). Called for every admitted
   * whale, in config order, just before its `whale.detected` is published: a detector that needs
   * to know which whales were detected records them here.
   */
  annotate?(
    tx: TxSeen,
    signal: Readonly<WhaleSignal>,
  ): Partial<WhaleSignal> | void | Promise<Partial<WhaleSignal> | void>;
  /**
   * Take an envelope of a type the definition lists in `consumes` (other than `tx.seen`), to
   * keep state `admit` and `annotate` read (prices, mempool stats, replacements). The chain calls
   * it in publication order relative to `tx.seen`: what was published before a transaction has
   * been observed when that transaction is admitted and annotated, and nothing published after it
   * has. The chain waits for it (time-boxed like the other hooks; a throw is reported and the
   * envelope skipped for this detector only), so keep it quick. Use this rather than
   * `ctx.bus.subscribe` for such state: a separate subscription has no order relative to the
   * chain's `tx.seen`.
   */
  observe?(envelope: AnyEnvelope): void | Promise<void>;
}

/** A detector: admits or annotates transactions in the detector chain. */
export interface DetectorDefinition<
  S extends TSchema = TSchema,
  R = Static<S>,
  E extends EventType = EventType,
> extends BaseDefinition<'detector', S, R, E> {
  /**
   * True when its setup returns `admit`: the kernel then publishes `whale.detected` for the whales
   * it admits (so it is not in `emits`), and `spout check` counts it as a producer of them. Unset
   * for a plugin not in the catalogue: assumed to admit.
   */
  readonly admits?: boolean;
  setup(ctx: PluginContext<R, E>): DetectorHooks | Promise<DetectorHooks>;
  /** @deprecated Return `start` from `setup` instead. Called after the handle's `start`. */
  start?(ctx: PluginContext<R, E>): void | Promise<void>;
}

/** Returned by an output's setup: what to do with each routed envelope. */
export interface OutputHooks extends InstanceHandle {
  /**
   * Deliver one envelope. Called in publication order, one at a time per instance; a throw is
   * logged and counted and the next envelope is still delivered.
   */
  deliver(envelope: AnyEnvelope): void | Promise<void>;
}

/** An output: receives the events routed to it (its `events:` and `filter:`). */
export interface OutputDefinition<
  S extends TSchema = TSchema,
  R = Static<S>,
  E extends EventType = EventType,
> extends BaseDefinition<'output', S, R, E> {
  /** Events routed to an instance whose YAML has no `events:`. */
  readonly defaultEvents: readonly EventPattern[];
  /**
   * An output that serves this process's own clients (the WebSocket feed): with `engine: redis`
   * it runs on every instance of the deployment, followers included, fed from the deployment's
   * event stream; and `ctx.history` gives it what a reconnecting client missed.
   */
  readonly everyInstance?: boolean;
  /**
   * An output whose deliveries are shared work (`ctx.outbox`): with `engine: redis` it is also
   * set up on followers, where it routes nothing but makes deliveries the leader queued.
   */
  readonly sharedWork?: boolean;
  setup(ctx: PluginContext<R, E>): OutputHooks | Promise<OutputHooks>;
  /** @deprecated Return `start` from `setup` instead. Called after the handle's `start`. */
  start?(ctx: PluginContext<R, E>): void | Promise<void>;
}

/** A job: subscribes to events and runs on a schedule. */
export interface JobDefinition<
  S extends TSchema = TSchema,
  R = Static<S>,
  E extends EventType = EventType,
> extends BaseDefinition<'job', S, R, E> {
  /** Serves this process's clients (API, dashboard): on every instance with `engine: redis`, fed from the stream. */
  readonly everyInstance?: boolean;
  setup(ctx: PluginContext<R, E>): InstanceHandle | void | Promise<InstanceHandle | void>;
  /** @deprecated Return `start` from `setup` instead. Called after the handle's `start`. */
  start?(ctx: PluginContext<R, E>): void | Promise<void>;
}

/** Any plugin definition. */
export type PluginDefinition =
  | InputDefinition<TSchema, any, any>
  | DetectorDefinition<TSchema, any, any>
  | OutputDefinition<TSchema, any, any>
  | JobDefinition<TSchema, any, any>;
