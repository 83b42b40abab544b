import type { CollectGarbage } from './settle.js';
import type { DeliveryQueues } from '../engine/delivery-queue.js';
import type { MemoryPressure } from './memory.js';
import type { Logger } from 'pino';
import type { TokenService } from '../auth/hub.js';
import type { Bus } from '../bus/bus.js';
import type { SpoutConfig } from '../config/types.js';
import type { HttpServer } from '../http/server.js';
import type { Redactor } from '../log/redact.js';
import type { Store } from '../store/port.js';
import type { KernelEvents } from './events.js';
import type { EventFanout } from './fanout.js';
import type { LimitOptions, RateLimiter } from '../auth/rate-limit.js';
import type { TokenChannel } from '../engine/token-channel.js';
import type { HealthBoard } from './health.js';
import type { KernelMetrics } from './metrics.js';
import type { ReloadReport } from './reload.js';

export type KernelState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface KernelOptions {
  config: SpoutConfig;
  log: Logger;
  store: Store;
  /** The secret scrubber in force (it changes when a reload brings new secrets). */
  redact?: () => Redactor;
  /**
   * The clock of the data (epoch ms), handed to plugins as `ctx.now()` and used for envelope
   * times and health: the wall clock (`Date.now`) unless given. `spout backtest` gives the
   * recording's clock, so that what plugins time (a whale's `detectedAt`, the age of mempool
   * stats, `dropAfter`) is on the recording's time.
   */
  now?: () => number;
  /** RSS in bytes for the memory-pressure checks (tests force levels with it); the process's by default. */
  memorySample?: () => number;
  /** The limit `kernel.memory.limitMb` defaults to; by default the container's, else V8's heap limit. */
  memoryLimitBytes?: number;
  /** V8's heap size limit, for the start-up check against `kernel.memory` (tests); the process's by default. */
  heapLimitBytes?: number;
  /** Sets V8 flags at run time (the heap's growth under memory pressure); `v8.setFlagsFromString` by default. */
  setV8Flags?: (flags: string) => void;
  /**
   * V8's collector, for settling after start-up (src/kernel/settle.ts): `globalThis.gc` by
   * default (there when node was started with `--expose-gc`, as HEAP_FLAGS does); null: none.
   */
  collectGarbage?: CollectGarbage | null;
  /**
   * `engine: redis`: the deployment's event stream. `everyInstance` outputs are fed from it; with
   * `publish` (the leader), what the pipeline publishes for them goes to it.
   */
  fanout?: EventFanout;
  /** `engine: redis`: token changes published by `spout token` (instead of the store's request folder). */
  tokenChannel?: TokenChannel;
  /** `ctx.limiter` of every plugin: `engine: redis` gives limits shared by the deployment. */
  limiter?: (options: LimitOptions) => RateLimiter;
  /** `ctx.outbox` of outputs: `engine: redis` gives delivery queues shared by the deployment. */
  deliveries?: DeliveryQueues;
  /** Plugins' `ctx.resumed`: this kernel takes over from another process's (a new leader). */
  resumed?: boolean;
  /** What `/health` says of the engine (`engine: redis`: Redis, role, token); embedded by default. */
  engine?: () => EngineStatus;
}

/** The engine as `/health` reports it. */
export type EngineStatus = { use: 'embedded' } | RedisEngineStatus;

/** `engine: redis`: the deployment, its Redis, this instance's role and fencing token. */
export interface RedisEngineStatus {
  use: 'redis';
  deployment: string;
  redis: 'up' | 'down';
  role: 'leader' | 'follower';
  /** The fencing token this instance leads with (null while it follows). */
  token: number | null;
}

/**
 * The kernel: sets up, wires, starts, reloads and stops plugin instances.
 *
 * Order: setup in config order; start consumers before producers (outputs, jobs, detectors,
 * inputs); stop producers first (inputs), stop job schedules, drain the bus, then stop every
 * other instance last-in-first-out. Every phase is time-boxed. A failure at boot stops what was
 * set up and rejects `start()` with a coded error; at run time failures are logged, counted and
 * isolated, and told to `events` listeners.
 */
export interface Kernel {
  readonly bus: Bus;
  /**
   * For embedders: handler failures, instance health changes, reload outcomes and state
   * changes, as typed events (see {@link KernelEvents} for when listeners run).
   */
  readonly events: KernelEvents;
  readonly health: HealthBoard;
  readonly metrics: KernelMetrics;
  readonly http: HttpServer;
  /**
   * The token registry plugins share (`ctx.tokens`): an embedder may revoke a token in process
   * (`(await kernel.tokens.join()).hub.revoke(jti)`, then `release`).
   */
  readonly tokens: TokenService;
  /** Memory pressure (`kernel.memory`): `check()` samples now; `level()`, `snapshot()`. */
  readonly memory: MemoryPressure;
  state(): KernelState;
  /**
   * Resolves with the HTTP address (null when `http.enabled` is false). A kernel starts once:
   * a second call, or one after `stop()`, rejects with `SPOUT_KERNEL_STATE` and changes nothing.
   */
  start(): Promise<{ host: string; port: number } | null>;
  /**
   * Never rejects: resolves with the errors met while stopping (empty when clean). Every call
   * returns the same stop. Called while starting or reloading, it waits for that to finish.
   */
  stop(): Promise<unknown[]>;
  /**
   * Only while running: before `start()` has finished, or once `stop()` was called, it rejects
   * with `SPOUT_KERNEL_STATE` and changes nothing. Reloads called together run one after another.
   */
  reload(next: SpoutConfig): Promise<ReloadReport>;
}
