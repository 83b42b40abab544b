import type { DeliveryQueues } from '../engine/delivery-queue.js';
import { createOutboxWorker } from '../delivery/outbox/worker.js';
import { createLocalChatSchedule } from '../delivery/chat/schedule.js';
import type { TokenService } from '../auth/hub.js';
import { resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import type { MemoryPressure } from './memory.js';
import type { Registry } from 'prom-client';
import type { Bus, Unsubscribe } from '../bus/bus.js';
import type { AnyEnvelope } from '../bus/envelope.js';
import { createRateLimiter, type LimitOptions, type RateLimiter } from '../auth/rate-limit.js';
import type { EventType } from '../bus/events.js';
import type { InstanceConfig } from '../config/types.js';
import type { HttpServer } from '../http/server.js';
import { describeProblem, problemsOf } from '../plugin/problems.js';
import type {
  DetectorHooks,
  InstanceHandle,
  OutputHooks,
  PluginContext,
  PluginDefinition,
  ScopedBus,
} from '../plugin/types.js';
import type { Store } from '../store/port.js';
import { createError, isSpoutError } from './errors.js';
import type { HealthBoard } from './health.js';
import { createScheduler, type InstanceScheduler } from './scheduler.js';
import { withTimeout } from './timeout.js';

/** What the kernel gives every instance. */
export interface Services {
  bus: Bus;
  store: Store;
  http: HttpServer;
  metrics: Registry;
  health: HealthBoard;
  log: Logger;
  /** Folder of the config file: relative paths in options start here. */
  configDir: string;
  /** The configuration's `auth:` section (token verification). */
  auth?: Readonly<{ secret?: string }>;
  /** False when `http.enabled: false` (told to a plugin's `resolve`). */
  httpEnabled?: boolean;
  /** The shared token registry (`ctx.tokens`). */
  tokens: TokenService;
  /** Told of each failed run of a scheduled task (after it is logged). */
  onTaskFailure?(instance: string, task: string, error: unknown): void;
  /** The kernel's clock (epoch ms): `ctx.now()`. */
  now: () => number;
  /** Memory pressure (`ctx.memory`). */
  memory: MemoryPressure;
  /** `ctx.memory.interestFloorSats()`: the kernel knows which instances read `tx.seen`. */
  interestFloorSats?: () => number | null;
  /** `ctx.resumed`: this process takes over from another (a new leader of a deployment). */
  resumed?: boolean;
  /** `ctx.limiter` (engine: redis: shared by the deployment); `createRateLimiter` by default. */
  limiter?: (options: LimitOptions) => RateLimiter;
  /** `ctx.outbox`, `ctx.chatQueue` (engine: redis: the deployment's queues); in process by default. */
  deliveries?: DeliveryQueues;
  /** Where a plugin's `ctx.bus.subscribe` listens (`everyInstance` jobs: the fan-out's bus). */
  subscribeBus?: (plugin: PluginDefinition) => Bus;
  /** `ctx.history.since` of an output instance (its slot's). */
  history?: (instance: string, eventId: string) => Promise<AnyEnvelope[] | null>;
}

export interface Timeouts {
  setup: number;
  start: number;
  stop: number;
}

/** One running plugin instance and the kernel's handles on it. */
export interface Runtime {
  readonly config: InstanceConfig;
  readonly plugin: PluginDefinition;
  readonly ctx: PluginContext<Record<string, unknown>>;
  /** What setup returned: the instance's handle (detector or output hooks; maybe nothing for inputs and jobs). */
  hooks: InstanceHandle | DetectorHooks | OutputHooks | undefined;
  setup(): Promise<void>;
  start(): Promise<void>;
  /** Stop producing: abort, stop scheduled tasks. Idempotent. */
  quiesce(): Promise<void>;
  /** Run the stop handlers (LIFO, time-boxed as a whole), unsubscribe, release routes. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Create the runtime of one enabled instance. Phases are time-boxed; a failure is thrown as a
 * coded error naming the instance and phase (`SPOUT_PLUGIN_FAILED` or `SPOUT_PLUGIN_TIMEOUT`).
 */
export function createRuntime(config: InstanceConfig, services: Services, timeouts: Timeouts): Runtime {
  const plugin = config.plugin as PluginDefinition;
  const name = config.name;
  const log = services.log.child({ instance: name, plugin: config.use });
  const controller = new AbortController();
  const stopHandlers: Array<() => void | Promise<void>> = [];
  const subscriptions = new Set<Unsubscribe>();
  const scheduler: InstanceScheduler = createScheduler(log, (task, error) =>
    services.onTaskFailure?.(name, task, error),
  );
  let stopped: Promise<void> | null = null;
  let quiesced: Promise<void> | null = null;

  const bus: ScopedBus = {
    publish: (type, data) => services.bus.publish(type, data, name),
    subscribe(types, handler, options) {
      const list = (Array.isArray(types) ? types : [types]) as EventType[];
      const off = (services.subscribeBus?.(plugin) ?? services.bus).subscribe(
        name,
        list,
        handler as (e: AnyEnvelope) => Promise<void>,
        options?.where as ((e: AnyEnvelope) => boolean) | undefined,
      );
      subscriptions.add(off);
      return () => {
        subscriptions.delete(off);
        return off();
      };
    },
  };

  const ctx: PluginContext<Record<string, unknown>> = {
    instance: name,
    kind: plugin.kind,
    // Replaced by what the plugin's `resolve` makes of them before setup (see `runtime.setup`).
    options: config.options,
    log,
    bus,
    store: services.store,
    http: services.http.routes(name),
    scheduler,
    metrics: services.metrics,
    health: { set: (state, reason) => services.health.set(name, state, reason) },
    signal: controller.signal,
    onStop: (fn) => void stopHandlers.push(fn),
    resolve: (path) => resolvePath(services.configDir, path),
    now: services.now,
    resumed: services.resumed ?? false,
    history: { since: (eventId) => services.history?.(name, eventId) ?? Promise.resolve(null) },
    limiter: (o) => (services.limiter ?? createRateLimiter)({ ...o, name: `${name}:${o.name}` }),
    outbox: (deps) => {
      const full = { ...deps, instance: name, store: services.store, log, signal: controller.signal };
      return services.deliveries ? services.deliveries.worker(full) : createOutboxWorker(full);
    },
    chatQueue: (o) => services.deliveries?.chat(name, o) ?? createLocalChatSchedule(o),
    queuedDeliveries: { prune: async (cutoff) => (await services.deliveries?.prune(cutoff)) ?? 0 },
    memory: {
      level: () => services.memory.level(),
      onChange: (fn) => void stopHandlers.push(services.memory.onChange(fn)),
      declareFloor: (sats) => void stopHandlers.push(services.memory.declareFloor(sats, name)),
      floorSats: () => services.memory.floorSats(),
      interestFloorSats: () => services.interestFloorSats?.() ?? null,
    },
    auth: services.auth ?? {},
    tokens: {
      async join(onRevoke) {
        const { hub, release } = await services.tokens.join(onRevoke);
        stopHandlers.push(release);
        return hub;
      },
    },
  };

  /** The options as the plugin works with them: resolved when the configuration loaded, else now. */
  const resolveOptions = async (): Promise<unknown> => {
    if (config.resolved) return config.resolved.value;
    if (!plugin.resolve) return config.options;
    return plugin.resolve(config.options, {
      instance: name,
      resolve: ctx.resolve,
      auth: services.auth ?? {},
      httpEnabled: services.httpEnabled ?? true,
    });
  };

  const phase = async (which: 'setup' | 'start', fn: () => unknown, ms: number, hint: string) => {
    try {
      return await withTimeout(fn, ms, { instance: name, phase: which }, hint);
    } catch (error) {
      if ((error as { code?: string }).code === 'SPOUT_PLUGIN_TIMEOUT') throw error;
      // A plugin may fail with a coded error of its own (a malformed file it reads is a
      // configuration error, exit 2): keep its code, add where it happened.
      if (isSpoutError(error))
        throw createError(
          error.code,
          // Option problems name their option from the top of the file, as `spout check` does.
          problemsOf(error)
            .map((e) => describeProblem(e, `${config.section}.${name}`))
            .join('; '),
          { instance: name, phase: which, ...(error.scope.option ? { option: error.scope.option } : {}) },
          error,
        );
      throw createError(
        'SPOUT_PLUGIN_FAILED',
        `${which} failed: ${(error as Error).message ?? String(error)}`,
        { instance: name, phase: which },
        error,
      );
    }
  };

  const runtime: Runtime = {
    config,
    plugin,
    ctx,
    hooks: undefined,
    async setup() {
      services.health.set(name, 'healthy', undefined, 'setup');
      runtime.hooks = (await phase(
        'setup',
        async () => {
          (ctx as { options: unknown }).options = await resolveOptions();
          return plugin.setup(ctx);
        },
        timeouts.setup,
        'Raise kernel.setupTimeout if it needs longer.',
      )) as Runtime['hooks'];
      if (
        plugin.kind === 'output' &&
        typeof (runtime.hooks as OutputHooks | undefined)?.deliver !== 'function'
      ) {
        throw createError('SPOUT_PLUGIN_INVALID', 'an output’s setup must return { deliver(envelope) }', {
          instance: name,
          phase: 'setup',
        });
      }
    },
    async start() {
      await phase(
        'start',
        async () => {
          await runtime.hooks?.start?.();
          await plugin.start?.(ctx);
        },
        timeouts.start,
        'Raise kernel.startTimeout if it needs longer.',
      );
      scheduler.start();
      services.health.set(name, undefined, undefined, 'running');
    },
    quiesce() {
      quiesced ??= (async () => {
        controller.abort();
        await scheduler.stopAll(timeouts.stop);
      })();
      return quiesced;
    },
    stop() {
      stopped ??= (async () => {
        await runtime.quiesce();
        const handlers = stopHandlers.splice(0).reverse();
        const handle = runtime.hooks;
        if (handle?.stop) handlers.unshift(() => handle.stop?.());
        const errors: unknown[] = [];
        try {
          await withTimeout(
            async () => {
              for (const fn of handlers) {
                try {
                  await fn();
                } catch (error) {
                  errors.push(error);
                }
              }
            },
            timeouts.stop,
            { instance: name, phase: 'stop' },
            'Raise kernel.stopTimeout if it needs longer.',
          );
        } finally {
          // Not awaited: an in-flight handler that hangs must not hold the stop past its time box.
          for (const off of subscriptions) void off();
          subscriptions.clear();
          services.http.release(name);
          services.health.set(name, undefined, undefined, 'stopped');
        }
        if (errors.length > 0) {
          const first = errors[0] as Error;
          throw createError(
            'SPOUT_PLUGIN_FAILED',
            `stop failed: ${first?.message ?? String(first)}`,
            { instance: name, phase: 'stop' },
            errors.length === 1 ? first : new AggregateError(errors),
          );
        }
      })();
      return stopped;
    },
  };
  return runtime;
}
