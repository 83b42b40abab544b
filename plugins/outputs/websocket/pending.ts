/** Why a connection was not let in to authenticate. */
export type PendingRefusal = 'max_pending' | 'pending_per_ip';

/**
 * Connections not yet authenticated, counted in all and per address key: each may take up to
 * `authTimeout` doing nothing, so without their own cap one address could fill `maxClients` and
 * lock every real client out.
 */
export interface PendingLimits {
  /**
   * Take a place for a connection from `key`: a release function (call it once the connection
   * is authenticated or gone; extra calls do nothing), or why there is no place.
   */
  acquire(key: string): { release: () => void } | { refused: PendingRefusal };
  /** Connections holding a place now. */
  readonly size: number;
}

/** Places for at most `maxPending` connections in all and `maxPendingPerIp` per address key. */
export function createPendingLimits(options: { maxPending: number; maxPendingPerIp: number }): PendingLimits {
  const byKey = new Map<string, number>();
  let total = 0;
  return {
    acquire(key) {
      if (total >= options.maxPending) return { refused: 'max_pending' };
      const held = byKey.get(key) ?? 0;
      if (held >= options.maxPendingPerIp) return { refused: 'pending_per_ip' };
      byKey.set(key, held + 1);
      total++;
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          total--;
          const left = (byKey.get(key) ?? 1) - 1;
          if (left > 0) byKey.set(key, left);
          else byKey.delete(key);
        },
      };
    },
    get size() {
      return total;
    },
  };
}
