import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisEngineStatus } from '../kernel/kernel-types.js';
import { createLeaderLease, leaseKeys } from './lease.js';

/** What a term of leadership or of following hands back: how to end it. */
export type Closer = () => Promise<unknown[]>;

export interface DeploymentOptions {
  redis: Redis;
  deployment: string;
  leaseMs: number;
  log: Logger;
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM). */
  stopped: Promise<unknown>;
  /** Serve what a follower serves (`/health`) until the returned closer is called. */
  follow(status: () => RedisEngineStatus): Promise<Closer>;
  /**
   * Run the pipeline as leader with `token`; `fenced` is to be called when a write is refused
   * for a stale token (the store's `onFenced`). Rejects when the pipeline cannot start: that is
   * a boot failure, fatal as in the embedded engine.
   */
  lead(token: number, status: () => RedisEngineStatus, fenced: () => void): Promise<Closer>;
}

/**
 * Run one instance of a deployment (`engine: redis`) until `stopped`: follow while another
 * instance leads, trying for the lease every third of `leaseMs`; lead once it is taken; step
 * down — stop the pipeline, follow again — as soon as the lease is lost or a write is fenced.
 * At stop, the pipeline stops first and the lease is then released, so that a follower takes
 * over at once instead of after the lease time.
 *
 * Resolves with the errors met while stopping the last term (empty when clean); rejects when a
 * term as leader could not start.
 */
export async function runDeployment(options: DeploymentOptions): Promise<unknown[]> {
  const { log, redis } = options;
  let role: 'leader' | 'follower' = 'follower';
  let stopRequested = false;
  void options.stopped.then(() => (stopRequested = true));
  let endTerm: (why: string) => void = () => {};
  const lease = createLeaderLease({
    redis,
    deployment: options.deployment,
    leaseMs: options.leaseMs,
    onLost: (why) => endTerm(`the lease was lost (${why})`),
  });
  const status = (): RedisEngineStatus => ({
    use: 'redis',
    deployment: options.deployment,
    redis: redis.status === 'ready' ? 'up' : 'down',
    role,
    token: role === 'leader' ? lease.token() : null,
  });
  const retryMs = Math.max(50, Math.floor(options.leaseMs / 3));
  // A leader that gives the lease up says so, and followers try at once instead of at their next
  // turn: a rolling restart hands over in milliseconds.
  const released = `${leaseKeys(options.deployment).mutex}:released`;
  const listener = redis.duplicate();
  listener.on('error', () => {});
  let nudge: () => void = () => {};
  listener.on('message', () => nudge());
  await listener
    .subscribe(released)
    .catch((error: unknown) => log.debug({ err: error }, 'no release notices'));
  const nudged = () => new Promise<void>((resolve) => (nudge = resolve));
  const giveUp = async () => {
    // Redis away: the lease expires by itself; commands would only wait for it to come back.
    if (redis.status !== 'ready') return;
    await lease.release().catch((error: unknown) => log.debug({ err: error }, 'lease release failed'));
    await redis.publish(released, '1').catch(() => {});
  };
  try {
    return await lead();
  } finally {
    listener.disconnect();
  }

  async function lead(): Promise<unknown[]> {
    for (;;) {
      const closeFollower = await options.follow(status);
      const token = await acquire(lease, retryMs, options.stopped, () => stopRequested, nudged, log);
      await closeFollower();
      if (token === null) return [];
      if (stopRequested) {
        await giveUp();
        return [];
      }
      const ended = new Promise<string>((resolve) => (endTerm = resolve));
      role = 'leader';
      log.info({ token }, `leading deployment "${options.deployment}" (fencing token ${token})`);
      let stop: Closer;
      try {
        stop = await options.lead(token, status, () =>
          endTerm('a write was refused for a stale fencing token'),
        );
      } catch (error) {
        role = 'follower';
        await giveUp();
        throw error;
      }
      const why = await Promise.race([ended, options.stopped.then(() => null)]);
      if (why !== null) log.warn({ token }, `stepping down: ${why}; another instance leads now`);
      const errors = await stop();
      role = 'follower';
      endTerm = () => {};
      await giveUp();
      if (why === null) return errors;
    }
  }
}

/** Try for the lease until it is taken (its token) or the process is asked to stop (null). */
async function acquire(
  lease: ReturnType<typeof createLeaderLease>,
  retryMs: number,
  stopped: Promise<unknown>,
  stopRequested: () => boolean,
  nudged: () => Promise<void>,
  log: Logger,
): Promise<number | null> {
  let told = false;
  while (!stopRequested()) {
    const token = await lease.tryAcquire().catch((error: unknown) => {
      log.debug({ err: error }, 'trying for the lease failed');
      return null;
    });
    if (token !== null) return token;
    if (!told) log.info('following: another instance leads the deployment');
    told = true;
    // Jittered, so that followers do not all ask at the same instant.
    const wait = retryMs * (0.75 + Math.random() / 2);
    await Promise.race([new Promise((r) => setTimeout(r, wait).unref()), stopped, nudged()]);
  }
  return null;
}
