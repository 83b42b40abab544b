import type { Redis } from 'ioredis';
import { Mutex } from 'redis-semaphore';

/**
 * The leader's lease in Redis (issue 18): at most one instance of a deployment holds it at a
 * time. It is a `redis-semaphore` mutex refreshed every third of `leaseMs`; an instance that
 * cannot refresh in time (paused, partitioned) loses it when it expires, and another may take
 * it. Each acquisition draws a new **fencing token** (a counter in Redis, strictly increasing),
 * so that a write carrying an older token can be refused (see {@link fencedSet}) even when the
 * old leader has not noticed yet that it lost the lease.
 */
export interface LeaderLease {
  /** Take the lease if it is free: the new fencing token, or null when another instance holds it. */
  tryAcquire(): Promise<number | null>;
  /** The token this instance leads with, or null when it does not (never acquired, lost, released). */
  token(): number | null;
  /** Give the lease up (idempotent); the next acquirer gets a higher token. */
  release(): Promise<void>;
}

/** The Redis keys of a deployment's lease: the mutex (redis-semaphore prefixes it) and the fence. */
export const leaseKeys = (deployment: string) => ({
  mutex: `spout:${deployment}:leader`,
  fence: `spout:${deployment}:leader:fence`,
});

/**
 * A lease of `deployment` (instances with the same name form one deployment) on `redis`.
 * `onLost(reason)` is called once when a held lease is lost (its refresh failed or it expired):
 * the instance must stop publishing at once. Errors of Redis itself reject `tryAcquire`.
 */
export function createLeaderLease(options: {
  redis: Redis;
  deployment: string;
  leaseMs: number;
  onLost: (reason: string) => void;
}): LeaderLease {
  const keys = leaseKeys(options.deployment);
  let current: { mutex: Mutex; token: number } | null = null;
  return {
    async tryAcquire() {
      if (current) return current.token;
      const mutex: Mutex = new SurvivingMutex(options.redis, keys.mutex, options.leaseMs, {
        lockTimeout: options.leaseMs,
        refreshInterval: Math.max(10, Math.floor(options.leaseMs / 3)),
        acquireAttemptsLimit: 1,
        onLockLost(error) {
          if (current?.mutex !== mutex) return;
          current = null;
          options.onLost(error.message);
        },
      });
      if (!(await mutex.tryAcquire())) return null;
      let token: number;
      try {
        token = await options.redis.incr(keys.fence);
      } catch (error) {
        // Held without a token, the lease would be refreshed for ever by a mutex no one owns:
        // no instance could lead again.
        await mutex.release().catch(() => mutex.stopRefresh());
        throw error;
      }
      current = { mutex, token };
      return token;
    },
    token: () => current?.token ?? null,
    async release() {
      const held = current;
      current = null;
      await held?.mutex.release();
    },
  };
}

/**
 * redis-semaphore's refresh runs on a timer and lets a Redis error escape it as an unhandled
 * rejection (which ends a Node process). Here a refresh that fails for an error counts as still
 * held until the lease would have expired since the last good refresh — as Redis sees it, it
 * has then — and as lost after that.
 */
class SurvivingMutex extends Mutex {
  private lastRefresh = performance.now();
  constructor(
    redis: Redis,
    key: string,
    private readonly leaseMs: number,
    options: ConstructorParameters<typeof Mutex>[2],
  ) {
    super(redis, key, options);
  }
  protected override async _refresh(): Promise<boolean> {
    try {
      const held = await super._refresh();
      if (held) this.lastRefresh = performance.now();
      return held;
    } catch {
      return performance.now() - this.lastRefresh < this.leaseMs;
    }
  }
}

// Compare the token with the fence and write in one step: nothing can come in between.
const FENCED_SET = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2]) return 1 end return 0`;

/**
 * Set `key` to `value` only if `token` is the deployment's latest fencing token: true when
 * written, false when refused (a newer leader has taken over since `token` was drawn).
 */
export async function fencedSet(
  redis: Redis,
  deployment: string,
  token: number,
  key: string,
  value: string,
): Promise<boolean> {
  return (await redis.eval(FENCED_SET, 2, leaseKeys(deployment).fence, key, String(token), value)) === 1;
}
