import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { createRateLimiter, type LimitOptions, type RateLimiter } from '../auth/rate-limit.js';

/**
 * Rate limits shared by a deployment's instances (`engine: redis`), so that three instances do
 * not allow three times the rate. Each limiter decides at once from its own sliding window (the
 * {@link RateLimiter} interface is synchronous: it runs before a connection is accepted), and
 * counts every hit in Redis as well (`rate-limiter-flexible`, fixed windows of `windowMs`); when
 * the deployment's count for a key passes `max`, the key is blocked on every instance — told on
 * the deployment's channel — until the window ends. Redis unreachable: the local limit holds.
 */
export function createSharedLimits(redis: Redis, deployment: string, log: Logger) {
  const channel = `spout:${deployment}:limits`;
  // name \0 key → until (this process's clock: the remaining time is what travels).
  const blocks = new Map<string, number>();
  const subscriber = redis.duplicate();
  subscriber.on('error', () => {});
  subscriber.on('message', (_from: string, text: string) => {
    try {
      const { name, key, ms } = JSON.parse(text) as { name: string; key: string; ms: number };
      if (typeof name === 'string' && typeof key === 'string' && ms > 0)
        blocks.set(`${name}\0${key}`, performance.now() + ms);
    } catch {
      log.debug('ignored a message on the limits channel that is not a block');
    }
  });
  const ready = subscriber
    .subscribe(channel)
    .catch((error: unknown) => log.warn({ err: error }, 'limits channel'));
  const remaining = (name: string, key: string): number => {
    const id = `${name}\0${key}`;
    const until = blocks.get(id);
    if (until === undefined) return 0;
    const left = until - performance.now();
    if (left <= 0) blocks.delete(id);
    return Math.max(0, left);
  };

  return {
    ready,
    create(options: LimitOptions): RateLimiter {
      const local = createRateLimiter({ max: options.max, windowMs: options.windowMs });
      const shared = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `spout:${deployment}:limit:${options.name}`,
        points: options.max,
        duration: Math.max(1, Math.ceil(options.windowMs / 1000)),
      });
      const block = (key: string, ms: number) => {
        blocks.set(`${options.name}\0${key}`, performance.now() + ms);
        void redis.publish(channel, JSON.stringify({ name: options.name, key, ms })).catch(() => {});
      };
      // Blocked once the deployment has counted `max` hits in the window, as the local limit is.
      const count = (key: string) =>
        void shared.consume(key).then(
          (res) => res.consumedPoints >= options.max && block(key, res.msBeforeNext),
          (refused: unknown) => {
            // A Redis error (not a refusal): the local limit holds.
            if (refused instanceof RateLimiterRes) block(key, refused.msBeforeNext);
          },
        );
      return {
        hit(key, now) {
          const left = remaining(options.name, key);
          if (left > 0) return { allowed: false, retryAfterMs: left };
          const decided = local.hit(key, now);
          if (decided.allowed) count(key);
          return decided;
        },
        blocked(key, now) {
          const left = remaining(options.name, key);
          return left > 0 ? { blocked: true, retryAfterMs: left } : local.blocked(key, now);
        },
        get size() {
          return local.size;
        },
      };
    },
    stop: () => void subscriber.disconnect(),
  };
}
