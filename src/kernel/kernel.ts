import { createTokenService } from '../auth/hub.js';
import { createBus, type BusOptions } from '../bus/bus.js';
import type { AnyEnvelope } from '../bus/envelope.js';
import type { InstanceConfig, SpoutConfig } from '../config/types.js';
import { createHttpServer } from '../http/server.js';
import { createDetectorChain, DETECTOR_CHAIN } from './detector-chain.js';
import { createKernelEmitter, tellReload, type HandlerPhase } from './events.js';
import type { Kernel, KernelOptions, KernelState } from './kernel-types.js';
import { mountKernelRoutes } from './routes.js';
import { createHealthBoard } from './health.js';
import { txSeenConsumers } from './interest.js';
import { createRuntime, type Runtime, type Services } from './instance.js';
import { createKernelMetrics } from './metrics.js';
import { createOutputSlot, type OutputSlot } from './output-slot.js';
import { planReload } from './reload-plan.js';
import { applyReload, type ReloadReport } from './reload.js';
import { parseDuration } from '../config/durations.js';
import { createKernelMemory } from './memory-watch.js';
import { createFanoutWiring } from './fanout.js';
import { refusalOf } from './refusal.js';

export type { ReloadReport } from './reload.js';
export type { KernelEventMap, KernelEvents } from './events.js';
export type { Kernel, KernelOptions, KernelState } from './kernel-types.js';

const EMBEDDED = () => ({ use: 'embedded' }) as const;
const START_ORDER = { output: 0, job: 1, detector: 2, input: 3 } as const;

export function createKernel(options: KernelOptions): Kernel {
  let config = options.config;
  const log = options.log;
  const redact = options.redact ?? (() => (t: string) => t);
  let state: KernelState = 'created';
  const emitter = createKernelEmitter(log);
  const setState = (to: KernelState) => {
    const from = state;
    state = to;
    emitter.emit('state', { from, to });
  };
  /** The start (once called), the shutdown (once begun) and what `stop()` returns. */
  let starting: Promise<unknown> | null = null;
  let shutdownDone: Promise<unknown[]> | null = null;
  let stopping: Promise<unknown[]> | null = null;
  /** The reloads in progress, one after another (never rejects), and how many. */
  let reloads: Promise<unknown> = Promise.resolve();
  let reloadsInFlight = 0;

  const failure = (phase: HandlerPhase, instance: string, envelope: AnyEnvelope, error: unknown): void => {
    metrics.failures.inc({ instance, event: envelope.type });
    log.error(
      { instance, event: envelope.type, eventId: envelope.id, err: error },
      `[${instance}] failed on ${envelope.type}: ${(error as Error)?.message ?? String(error)}`,
    );
    const kind = runtimes.get(instance)?.plugin.kind;
    emitter.emit('handlerError', {
      instance,
      ...(kind ? { kind } : {}),
      phase,
      eventType: envelope.type,
      eventId: envelope.id,
      error,
    });
  };
  const now = options.now ?? Date.now;
  const busOptions: BusOptions = {
    now: () => new Date(now()),
    onError: ({ subscriber, envelope, error }) => failure('subscribe', subscriber, envelope, error),
    onOverflow: (subscriber) => metrics.overflow.inc({ subscriber }),
  };
  const bus = createBus(busOptions);
  const fan = createFanoutWiring(bus, options.fanout, busOptions);
  const metrics = createKernelMetrics(() => bus);
  bus.tap((envelope) => metrics.published.inc({ type: envelope.type }));
  const health = createHealthBoard(redact, now, (change) => emitter.emit('health', change));
  const { memory, memoryWatch } = createKernelMemory({
    settings: () => config.kernel.memory,
    options,
    log,
    registry: metrics.registry,
    now,
  });
  const http = createHttpServer({
    listen: config.http.listen,
    onError: (error) => log.error({ err: error }, 'HTTP handler failed'),
  });
  const services: Services = {
    bus,
    store: options.store,
    http,
    metrics: metrics.registry,
    health,
    log,
    configDir: config.dir,
    auth: config.auth,
    httpEnabled: config.http.enabled,
    tokens: createTokenService(options.store, log, {}, options.tokenChannel),
    now,
    resumed: options.resumed ?? false,
    limiter: options.limiter,
    deliveries: options.deliveries,
    subscribeBus: fan.busFor,
    history: (name, eventId) => slots.get(name)?.since(eventId) ?? Promise.resolve(null),
    memory,
    interestFloorSats: () =>
      memory.interestFloorSats(txSeenConsumers([bus, fan.bus], runtimes.values(), DETECTOR_CHAIN)),
    onTaskFailure(instance, task, error) {
      const kind = runtimes.get(instance)?.plugin.kind;
      emitter.emit('handlerError', { instance, ...(kind ? { kind } : {}), phase: 'scheduled', task, error });
    },
  };
  const runtimes = new Map<string, Runtime>();
  const slots = new Map<string, OutputSlot>();
  const chain = createDetectorChain(
    bus,
    (instance, envelope, error) => failure('detect', instance, envelope, error),
    (seconds) => metrics.detectionLatency.observe(seconds),
  );
  mountKernelRoutes(http, health, metrics, () => state, memory, options.engine ?? EMBEDDED);

  const timeouts = () => ({
    setup: parseDuration(config.kernel.setupTimeout),
    start: parseDuration(config.kernel.startTimeout),
    stop: parseDuration(config.kernel.stopTimeout),
  });
  const detectorsInOrder = () =>
    [...runtimes.values()]
      .filter((r) => r.plugin.kind === 'detector')
      // By name: an instance kept across a reload still holds its old config object.
      .sort((a, b) => order(a.config.name) - order(b.config.name));
  const order = (name: string) => config.instances.findIndex((i) => i.name === name);

  const setupOne = async (instance: InstanceConfig): Promise<Runtime> => {
    health.register(instance.name, instance.kind, instance.use);
    const runtime = createRuntime(instance, services, timeouts());
    runtimes.set(instance.name, runtime);
    if (instance.kind === 'output' && !slots.has(instance.name)) {
      const slot = createOutputSlot(
        instance.name,
        fan.busFor(runtime.plugin),
        (envelope, error) => failure('deliver', instance.name, envelope, error),
        fan.historyFor(runtime.plugin),
      );
      slots.set(instance.name, slot);
      await slot.pause();
    }
    try {
      await runtime.setup();
    } catch (error) {
      // Release what a half-done setup took (subscriptions, routes, stop handlers).
      await runtime.stop().catch(() => {});
      runtimes.delete(instance.name);
      throw error;
    }
    return runtime;
  };
  const startOne = async (runtime: Runtime): Promise<void> => {
    await runtime.start();
    slots.get(runtime.config.name)?.attach(runtime);
  };
  const stopOne = async (runtime: Runtime, errors: unknown[]): Promise<void> => {
    try {
      await runtime.stop();
    } catch (error) {
      errors.push(error);
      log.error({ instance: runtime.config.name, err: error }, (error as Error).message);
    }
    runtimes.delete(runtime.config.name);
  };
  const byStartOrder = (list: Runtime[]) =>
    [...list].sort((a, b) => START_ORDER[a.plugin.kind] - START_ORDER[b.plugin.kind]);

  const shutdown = async (): Promise<unknown[]> => {
    setState('stopping');
    const errors: unknown[] = [];
    const all = [...runtimes.values()];
    for (const runtime of all.filter((r) => r.plugin.kind === 'input').reverse())
      await stopOne(runtime, errors);
    await Promise.all(all.filter((r) => r.plugin.kind === 'job').map((r) => r.quiesce()));
    const drained = await Promise.race([
      bus.drain().then(() => true),
      new Promise<false>((r) =>
        setTimeout(() => r(false), parseDuration(config.kernel.drainTimeout)).unref(),
      ),
    ]);
    if (!drained) {
      const depth = bus.depth();
      errors.push(
        new Error(`bus did not drain within ${config.kernel.drainTimeout}: ${depth.total} events left`),
      );
      log.error(
        { depth: depth.bySubscriber },
        `the bus did not drain within kernel.drainTimeout (${config.kernel.drainTimeout}); ${depth.total} events were not delivered`,
      );
    }
    for (const runtime of [...runtimes.values()].reverse()) await stopOne(runtime, errors);
    await fan.stop();
    await Promise.all([...slots.values()].map((s) => s.close()));
    await chain.close();
    await http.close();
    await options.store.close().catch((error: unknown) => {
      errors.push(error);
      log.error({ err: error }, (error as Error).message);
    });
    setState('stopped');
    return errors;
  };

  const shutdownOnce = () => (shutdownDone ??= (memoryWatch.stop(), shutdown()));

  const boot = async (): Promise<{ host: string; port: number } | null> => {
    setState('starting');
    const enabled = config.instances.filter((i) => i.enabled);
    try {
      const started: Runtime[] = [];
      for (const instance of enabled) started.push(await setupOne(instance));
      chain.set(detectorsInOrder());
      fan.routed(runtimes.values());
      fan.start();
      const address = config.http.enabled ? await http.listen() : null;
      for (const runtime of byStartOrder(started)) await startOne(runtime);
      setState('running');
      memoryWatch.start();
      return address;
    } catch (error) {
      const name = (error as { scope?: { instance?: string } }).scope?.instance;
      if (name) health.set(name, 'unhealthy', (error as Error).message, 'failed');
      await shutdownOnce();
      throw error;
    }
  };

  const reloadNow = (next: SpoutConfig): Promise<ReloadReport> =>
    applyReload(
      {
        runtimes,
        slots,
        chain,
        health,
        log,
        stopMs: timeouts().stop,
        setConfig: (c) => (config = c),
        setupOne,
        startOne,
        stopOne,
        byStartOrder,
        detectorsInOrder,
        settled: () => fan.routed(runtimes.values()),
      },
      planReload(config, next),
      next,
    );

  const refusal = (what: 'start' | 'reload') => refusalOf(what, state, Boolean(stopping));

  return {
    bus,
    events: emitter.events,
    health,
    metrics,
    http,
    tokens: services.tokens,
    memory,
    state: () => state,
    start() {
      // Starting twice would set every instance up again, and nothing would stop the first ones.
      const refused = refusal('start');
      if (refused) return Promise.reject(refused);
      const run = boot();
      starting = run;
      return run;
    },
    stop() {
      if (stopping) return stopping;
      // A start or a reload half done would leave instances that no one stops: wait for them.
      stopping =
        state === 'starting' || reloadsInFlight > 0
          ? Promise.all([starting?.catch(() => {}), reloads]).then(shutdownOnce)
          : shutdownOnce();
      return stopping;
    },
    reload(next) {
      const refused = refusal('reload');
      if (refused) return tellReload(emitter, Promise.reject(refused));
      // Checked again when its turn comes: a stop may have been asked for meanwhile.
      const run = async (): Promise<ReloadReport> => {
        const late = refusal('reload');
        if (late) throw late;
        return reloadNow(next);
      };
      // At once when no other reload runs: what is published right after is routed by it.
      const result = reloadsInFlight === 0 ? run() : reloads.then(run);
      reloadsInFlight++;
      reloads = result.then(
        () => void reloadsInFlight--,
        () => void reloadsInFlight--,
      );
      return tellReload(emitter, result);
    },
  };
}
