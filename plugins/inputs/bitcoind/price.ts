import got from 'got';
import type { Logger } from 'pino';

/** Where the USD price of one BTC comes from when the node is the only source. */
export type PriceSource =
  { fixed: number } | { url: string; path: string; everyMs: number; staleAfterMs: number; timeoutMs: number };

/** The price the input puts in `mempool.stats` (`usdPrice`). */
export interface Price {
  /** The latest price, or null: none configured, none fetched yet, or older than `staleAfter`. */
  current(): number | null;
  /** Poll the URL once now (the loop started by `start` does this every `everyMs`). */
  poll(): Promise<void>;
  /** Start polling; resolves when the first poll is done (failed or not). */
  start(): Promise<void>;
  stop(): void;
}

/**
 * Read `path` (dot-separated keys and list indexes: `bitcoin.usd`, `data.amount`,
 * `result.0.price`) from a JSON answer: a positive finite number, or a string holding one (as
 * some exchanges send). Undefined when absent or not a price.
 */
export function readPath(body: unknown, path: string): number | undefined {
  let v: unknown = body;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * The price source: a fixed value, or an HTTP JSON URL polled every `everyMs` (first at
 * start). A failed poll keeps the last price until it is older than `staleAfterMs`, then the
 * price is unknown (null: USD amounts are left out and `minUsd` filters let nothing through)
 * until a poll succeeds. Each failure is logged once until the next success.
 */
export function createPrice(source: PriceSource | null, log: Logger, now: () => number = Date.now): Price {
  const idle = { poll: async () => {}, start: async () => {}, stop() {} };
  if (source === null) return { current: () => null, ...idle };
  if ('fixed' in source) return { current: () => source.fixed, ...idle };
  let last: { usd: number; at: number } | null = null;
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  let stopped = false;
  const where = new URL(source.url).host;

  const poll = async () => {
    try {
      const body = await got(source.url, {
        retry: { limit: 0 },
        timeout: { request: source.timeoutMs },
        headers: { accept: 'application/json' },
      }).json<unknown>();
      const usd = readPath(body, source.path);
      if (usd === undefined)
        throw new Error(`its answer has no positive number at "${source.path}": check price.path`);
      last = { usd, at: now() };
      if (failing) log.info({ usd }, `USD price from ${where} again`);
      failing = false;
    } catch (error) {
      if (!failing)
        log.warn(
          { err: (error as Error).message },
          `cannot read the USD price from ${where}: ${(error as Error).message}; the last price is used until it is ${source.staleAfterMs / 1000} s old`,
        );
      failing = true;
    }
  };
  const loop = async () => {
    await poll();
    if (!stopped) timer = setTimeout(() => void loop(), source.everyMs);
  };
  return {
    current: () => (last !== null && now() - last.at <= source.staleAfterMs ? last.usd : null),
    poll,
    start: loop,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
