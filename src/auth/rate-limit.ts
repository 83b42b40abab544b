/**
 * A sliding-window limit per key (an address key, see `addressKey`): at most `max` hits within
 * any `windowMs`, with no burst at window boundaries.
 */
export interface RateLimiter {
  /**
   * Count one hit for `key` at `now`. `allowed` is false when it would be the `max + 1`-th
   * within the last `windowMs` (a refused hit is not counted, so waiting `retryAfterMs` is
   * enough), or when the table is full of active keys and `key` is not one of them.
   */
  hit(key: string, now?: number): { allowed: boolean; retryAfterMs: number };
  /** Whether a hit for `key` would be refused now (without counting one). */
  blocked(key: string, now?: number): { blocked: boolean; retryAfterMs: number };
  /** Keys tracked now (at most `maxKeys`). */
  readonly size: number;
}

/** A limit as a plugin asks for it (`ctx.limiter`): at most `max` hits per key within `windowMs`. */
export interface LimitOptions {
  /** Tells the plugin's limits apart (the kernel prefixes it with the instance name). */
  name: string;
  max: number;
  windowMs: number;
}

/** Timestamps kept per limiter, in all: bounds its memory whatever `max` is. */
const TIMESTAMP_BUDGET = 1_000_000;

/**
 * Create a limiter. It keeps the time of each counted hit (at most `max` per key) for at most
 * `maxKeys` keys (default: 10,000, fewer when `max` is over 100 so that at most a million times
 * are kept, but never under 100 keys). A key is forgotten once its hits are all older than `windowMs`; a key with recent hits
 * is never evicted, so a flood of fresh addresses cannot lift a block. When the table is full
 * of active keys a new key is refused (fails closed) until one expires.
 */
export function createRateLimiter(options: { max: number; windowMs: number; maxKeys?: number }): RateLimiter {
  const { max, windowMs } = options;
  const maxKeys =
    options.maxKeys ?? Math.max(100, Math.min(10_000, Math.floor(TIMESTAMP_BUDGET / Math.max(1, max))));
  // Hit times per key, oldest first. The Map is kept in order of each key's latest hit (a key
  // is re-inserted when hit), so the keys that expire first are at its front.
  const logs = new Map<string, number[]>();

  /** Drop `log`'s times outside the window ending at `now`. */
  const trim = (log: number[], now: number) => {
    let i = 0;
    while (i < log.length && (log[i] as number) <= now - windowMs) i++;
    if (i > 0) log.splice(0, i);
  };
  /** Forget the keys whose latest hit has left the window; stops at the first active one. */
  const sweep = (now: number) => {
    for (const [key, log] of logs) {
      if ((log.at(-1) ?? -Infinity) > now - windowMs) break;
      logs.delete(key);
    }
  };
  /** What a hit for `key` at `now` would meet: refused (and for how long) or its log. */
  const check = (key: string, now: number) => {
    const log = logs.get(key);
    if (log) {
      trim(log, now);
      if (log.length >= max) return { retryAfterMs: (log[log.length - max] as number) + windowMs - now };
      return { log };
    }
    sweep(now);
    if (logs.size < maxKeys) return { log: null };
    const oldest = logs.values().next().value as number[];
    return { retryAfterMs: (oldest.at(-1) as number) + windowMs - now };
  };

  return {
    hit(key, now = Date.now()) {
      const c = check(key, now);
      if (!('log' in c)) return { allowed: false, retryAfterMs: c.retryAfterMs };
      const log = c.log ?? [];
      log.push(now);
      logs.delete(key);
      logs.set(key, log);
      return { allowed: true, retryAfterMs: 0 };
    },
    blocked(key, now = Date.now()) {
      const c = check(key, now);
      return 'log' in c
        ? { blocked: false, retryAfterMs: 0 }
        : { blocked: true, retryAfterMs: c.retryAfterMs };
    },
    get size() {
      return logs.size;
    },
  };
}
