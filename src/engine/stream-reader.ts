import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** One stream entry as Redis returns it: its id and its flat field/value list. */
export type StreamEntry = [id: string, fields: string[]];

/**
 * Read the stream at `key` after entry `from` (default: its newest entry when the reading
 * starts), handing each page of entries to `handle` in stream order, on a connection of its own
 * (reads block). A read or a `handle` that fails (Redis restarting) is tried again from where it
 * stopped, `onResume` told first: entries may have been trimmed away meanwhile. Returns the
 * stop, which resolves once the loop has ended — at once even while Redis is away.
 */
export function readStream(
  redis: Redis,
  key: string,
  options: {
    handle(entries: StreamEntry[]): void | Promise<void>;
    log: Logger;
    from?: string;
    onResume?: () => Promise<void>;
  },
): () => Promise<void> {
  const { handle, log, onResume } = options;
  const reader = redis.duplicate();
  reader.on('error', () => {}); // told by the main connection; this one only reads
  let stopped = false;
  let halt: () => void = () => {};
  const halted = new Promise<null>((resolve) => (halt = () => resolve(null)));
  // ioredis never settles a command waiting for a reconnection when the connection is
  // disconnected meanwhile: a stop while Redis is away must not wait for it.
  const unlessStopped = <T>(command: Promise<T>): Promise<T | null> => {
    command.catch(() => {});
    return Promise.race([command, halted]);
  };
  const loop = (async () => {
    let last: string | null = options.from ?? null;
    let failed = false;
    while (!stopped) {
      try {
        if (last === null) {
          const newest = (await unlessStopped(reader.xrevrange(key, '+', '-', 'COUNT', 1))) as
            StreamEntry[] | null;
          if (stopped || newest === null) break;
          last = newest[0]?.[0] ?? '0-0';
        }
        if (failed && onResume) await unlessStopped(onResume());
        failed = false;
        const answer = (await unlessStopped(
          reader.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', key, last),
        )) as Array<[string, StreamEntry[]]> | null;
        if (stopped) break;
        const entries = answer?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        last = entries.at(-1)![0];
        await handle(entries);
      } catch (error) {
        if (stopped) break;
        failed = true;
        log.debug({ err: error }, `reading ${key} failed; trying again`);
        await Promise.race([new Promise((r) => setTimeout(r, 500)), halted]);
      }
    }
  })();
  return async () => {
    stopped = true;
    halt();
    reader.disconnect();
    await loop;
  };
}
