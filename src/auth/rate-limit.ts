/** A fixed-window counter per key (an IP address): `max` hits per `windowMs`. */
export interface RateLimiter {
  /** Count one hit for `key`. `allowed` is false once it is over `max` in the current window. */
  hit(key: string, now?: number): { allowed: boolean; retryAfterMs: number };
  /** Whether `key` is over its limit now (without counting a hit). */
  blocked(key: string, now?: number): { blocked: boolean; retryAfterMs: number };
  /** Keys tracked now (bounded by `maxKeys`). */
  readonly size: number;
}

/**
 * Create a limiter. At most `maxKeys` keys are tracked (default 10,000): a flood from many
 * addresses cannot grow memory without bound; when full, the oldest windows are forgotten first.
 */
export function createRateLimiter(options: { max: number; windowMs: number; maxKeys?: number }): RateLimiter {
  const maxKeys = options.maxKeys ?? 10_000;
  // A Map iterates in insertion order: deleting and re-inserting on a new window keeps the
  // oldest windows first, so expired ones are swept (and evicted when full) from the front.
  const windows = new Map<string, { count: number; resetAt: number }>();
  const sweep = (now: number) => {
    for (const [key, w] of windows) {
      if (w.resetAt > now && windows.size < maxKeys) break;
      windows.delete(key);
    }
  };
  const current = (key: string, now: number) => {
    const w = windows.get(key);
    return w && w.resetAt > now ? w : null;
  };
  return {
    hit(key, now = Date.now()) {
      let w = current(key, now);
      if (!w) {
        windows.delete(key);
        sweep(now);
        windows.set(key, (w = { count: 0, resetAt: now + options.windowMs }));
      }
      w.count++;
      return { allowed: w.count <= options.max, retryAfterMs: w.resetAt - now };
    },
    blocked(key, now = Date.now()) {
      const w = current(key, now);
      return { blocked: w !== null && w.count >= options.max, retryAfterMs: w ? w.resetAt - now : 0 };
    },
    get size() {
      return windows.size;
    },
  };
}
