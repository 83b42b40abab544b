import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { createError } from '../kernel/errors.js';
import { sentence, shownUrl } from './words.js';

/** How long before the next reconnection attempt: doubling from 200 ms, at most 2 s. */
export const reconnectDelay = (times: number): number => Math.min(100 * 2 ** times, 2000);

/**
 * Connect to the deployment's Redis (`engine.url`) and wait until it answers, at most
 * `timeoutMs`. Later connection losses are logged (once per outage, not per retry) and
 * reconnected by ioredis with backoff; commands issued meanwhile wait, then fail after a few
 * retries with the connection's error.
 *
 * Errors: `SPOUT_ENGINE_UNREACHABLE` when Redis does not answer in time or refuses the login.
 */
export async function connectRedis(url: string, log: Logger, timeoutMs = 5000): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 3,
    retryStrategy: reconnectDelay,
  });
  let down = false;
  let connected = false;
  const lost = (why: string, error?: Error) => {
    if (down || !connected) return;
    down = true;
    log.warn(error ? { err: error } : {}, `Redis at ${shownUrl(url)} is unreachable (${why}); reconnecting`);
  };
  // A clean restart of Redis only closes the connection (no error): both are an outage.
  redis.on('close', () => lost('connection closed'));
  redis.on('error', (error: Error) => lost(error.message, error));
  redis.on('ready', () => {
    if (down) log.info(`Redis at ${shownUrl(url)} is reachable again`);
    down = false;
    connected = true;
  });
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
    return redis;
  } catch (error) {
    redis.disconnect();
    throw createError(
      'SPOUT_ENGINE_UNREACHABLE',
      `Cannot reach Redis at ${shownUrl(url)} (engine.url): ${sentence(error)} Start Redis or fix engine.url; \`redis-cli -u URL ping\` must answer PONG.`,
      {},
      error,
    );
  }
}

/**
 * Run `use` on a connection of its own to Redis at `url` (a command's: nothing logged), then
 * close it. Errors: `SPOUT_ENGINE_UNREACHABLE` as {@link connectRedis}, and what `use` throws.
 */
export async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = await connectRedis(url, pino({ level: 'silent' }));
  try {
    return await use(redis);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
