import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { formatListen } from '../config/listen.js';
import { parseDuration } from '../config/durations.js';
import type { SpoutConfig } from '../config/types.js';
import { connectRedis } from '../engine/connect.js';
import { shownUrl } from '../engine/words.js';
import { runDeployment, type Closer } from '../engine/deployment.js';
import { isSpoutError } from '../kernel/errors.js';
import { createKernel, type Kernel } from '../kernel/kernel.js';
import type { KernelOptions, RedisEngineStatus } from '../kernel/kernel-types.js';
import { runsOnFollowers } from '../kernel/fanout.js';
import { createEventStream, type EventStream } from '../engine/stream.js';
import { createTokenChannel } from '../engine/token-channel.js';
import { createSharedLimits } from '../engine/rate-limit.js';
import { createDeliveryQueues } from '../engine/delivery-queue.js';
import { openRedisStore } from '../store/redis.js';
import { followRedisStore } from '../store/redis-follow.js';
import { serveControl } from './control-redis.js';
import { failure } from './failure.js';
import type { CliEnv, createCliLogger } from './io.js';
import { createReloader, listenForSignals } from './reloader.js';
import type { RunOptions } from './run.js';

/**
 * `spout run` with `engine: redis`: this process is one instance of the deployment. It follows
 * (serving `/health` with its role) until it takes the leader's lease, then runs the whole
 * pipeline on the Redis store with its fencing token, and steps down when the lease is lost.
 * Exit status as the embedded engine: 0 after a clean stop, 1 when Redis cannot be reached at
 * start, a term as leader fails to boot, or the stop had errors.
 */
export async function runRedisEngine(
  config: SpoutConfig,
  cli: CliEnv,
  root: ReturnType<typeof createCliLogger>,
  options: RunOptions,
): Promise<number> {
  const log = root.log;
  const { deployment } = config.engine;
  let redis: Redis;
  try {
    redis = await connectRedis(config.engine.url, log);
  } catch (error) {
    log.fatal({ code: (error as { code?: string }).code }, failure(error, config));
    return 1;
  }
  let kernel: Kernel | null = null;
  const reloader = createReloader({
    root,
    log,
    initial: config,
    reload: options.reload,
    kernel: () => kernel,
  });
  const stopped = listenForSignals(cli, reloader);
  void stopped.then((signal) => log.info(`${signal}: stopping`));
  let started = false;
  const stream = createEventStream({ redis, deployment, log });
  const tokenChannel = createTokenChannel(redis, deployment, log);
  const limits = createSharedLimits(redis, deployment, log);
  await limits.ready;
  const leaseMs = parseDuration(config.engine.leaseTime);
  // A delivery in flight on an instance that died is taken up again after this long.
  const deliveries = createDeliveryQueues({
    url: config.engine.url,
    deployment,
    lockMs: Math.max(leaseMs, 5000),
    log,
  });
  const make = (o: Omit<KernelOptions, 'log' | 'redact'>): Kernel =>
    createKernel({
      ...o,
      log,
      redact: () => root.redact,
      tokenChannel,
      limiter: limits.create,
      deliveries,
    } as KernelOptions);
  // Signal listeners do not keep Node's event loop alive (see runConfig).
  const keepAlive = setInterval(() => {}, 1 << 30);
  log.info(`engine: redis at ${shownUrl(config.engine.url)}, deployment "${deployment}"`);
  try {
    const errors = await runDeployment({
      redis,
      deployment,
      leaseMs,
      log,
      stopped,
      follow: (status) => follow(reloader.current(), make, status, redis, stream, log),
      async lead(token, status, fenced) {
        const current = reloader.current();
        const store = await openRedisStore({
          redis,
          deployment,
          token,
          onFenced: fenced,
          onError: (error) => log.error({ err: error }, (error as Error).message),
        });
        const term = make({
          // Token 1 is the deployment's first leader ever: there was no one to take over from.
          resumed: token > 1,
          config: current,
          store,
          engine: status,
          fanout: {
            // Refused once another leads: this one steps down, as for a fenced store write.
            publish: (envelope) =>
              void stream.append(token, envelope).then(
                (appended) => appended || fenced(),
                (error: unknown) => log.warn({ err: error }, `event stream: ${(error as Error).message}`),
              ),
            subscribe: stream.follow,
            since: stream.since,
          },
        });
        const address = await term.start();
        // `spout deliveries retry` reaches the leader, which holds the outbox.
        const stopControl = await serveControl(redis, deployment, store, log);
        kernel = term;
        const count = current.instances.filter((i) => i.enabled).length;
        log.info(
          { http: address, token },
          `${options.banner ?? 'Spout'} running as leader: ${count} instance(s)${address ? `, http://${formatListen(address)}` : ''}`,
        );
        if (!started) await options.onStarted?.(address ?? undefined);
        started = true;
        return async () => {
          await reloader.settled();
          kernel = null;
          await stopControl();
          return term.stop();
        };
      },
    });
    log.info(errors.length === 0 ? 'stopped cleanly' : `stopped with ${errors.length} error(s)`);
    return errors.length === 0 ? 0 : 1;
  } catch (error) {
    log.fatal({ code: (error as { code?: string }).code }, `boot failed: ${failure(error, config)}`);
    log.debug({ err: error }, 'boot failure details');
    return isSpoutError(error) ? error.exit : 1;
  } finally {
    clearInterval(keepAlive);
    limits.stop();
    await deliveries.close();
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
  }
}

/**
 * A follower's kernel: only the outputs that serve this instance's own clients (the WebSocket
 * feed, `everyInstance`), fed from the deployment's stream, and those whose deliveries are shared
 * work (`sharedWork`: webhook, e-mail; they route nothing here), on a copy of the store; its
 * `/health` says it follows. Returns its stop.
 */
async function follow(
  config: SpoutConfig,
  make: (options: Omit<KernelOptions, 'log' | 'redact'>) => Kernel,
  status: () => RedisEngineStatus,
  redis: Redis,
  stream: EventStream,
  log: Logger,
): Promise<Closer> {
  const serving = {
    ...config,
    instances: config.instances.filter((i) => i.enabled && runsOnFollowers(i.plugin)),
  };
  const copy = await copyWhenReachable(redis, config.engine.deployment, log);
  const kernel = make({
    config: serving,
    store: copy.store,
    engine: status,
    fanout: { subscribe: stream.follow, since: stream.since },
  });
  try {
    await kernel.start();
  } catch (error) {
    await copy.stop();
    throw error;
  }
  return async () => {
    const errors = await kernel.stop();
    await copy.stop();
    return errors;
  };
}

/**
 * The follower's copy of the store (kept in step with the leader's writes), read once Redis
 * answers: a leader that stepped down because Redis was gone follows again when it is back,
 * instead of failing (told once, tried every second).
 */
async function copyWhenReachable(redis: Redis, deployment: string, log: Logger) {
  for (let told = false; ; told = true) {
    try {
      return await followRedisStore(redis, deployment, log);
    } catch (error) {
      if (!told)
        log.warn(
          `cannot read the deployment's store from Redis (${(error as Error).message}); trying again every second`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
