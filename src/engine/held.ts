import type { Logger } from 'pino';

/**
 * Deliveries an instance accepted while it could not queue them (Redis away, or the store's own
 * connection not back yet while the queue's is: each reconnects on its own). They are queued in
 * the order they came once both answer; dropped if this instance turns out to be fenced (the
 * next leader recovers them). One drain runs at a time, and one retry waits at a time.
 */
export interface Held<T> {
  /** Keep `item` behind what is kept, and try to queue them now unless the connection is known lost. */
  hold(item: T): void;
  /** Queue what is kept (the connection is back). */
  drain(): Promise<void>;
  /** How many are kept. */
  size(): number;
  /** Stop retrying (the instance stops). */
  stop(): void;
}

export function createHeld<T>(options: {
  /** Checks the fencing token: throws SPOUT_STORE_FENCED, or another error while unreachable. */
  fence(): Promise<void>;
  /** Queues one item (waits for the queue's connection). */
  place(item: T): Promise<void>;
  lost(): boolean;
  log: Logger;
  retryMs?: number;
}): Held<T> {
  const items: T[] = [];
  let draining = false;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;
  const drain = async (): Promise<void> => {
    if (draining || stopped) return;
    draining = true;
    try {
      while (items.length > 0) {
        await options.fence();
        await options.place(items[0]!);
        items.shift();
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'SPOUT_STORE_FENCED') items.length = 0;
      else retry ??= setTimeout(() => ((retry = null), void drain()), options.retryMs ?? 500).unref();
      options.log.debug({ err: error }, `deliveries kept while Redis was away: ${(error as Error).message}`);
    } finally {
      draining = false;
    }
  };
  return {
    hold(item) {
      items.push(item);
      if (!options.lost()) void drain();
    },
    drain,
    size: () => items.length,
    stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
    },
  };
}
