import type { MempoolStats, ProjectedBlock, RecommendedFees } from '../../../src/index.js';
import { Check, field } from './validate.js';

// Each parser reads through a Check (validate.ts); without one given, a throwaway one is used and a
// bad value only shows as the null / undefined result.
const throwaway = () => new Check(Date.now);

/** Parse `mempool-blocks` (MempoolBlock[]); null when a value is bad (`c.failure` says which). */
export function parseProjectedBlocks(value: unknown, c: Check = throwaway()): ProjectedBlock[] | null {
  const list = c.list(value, '', 0, 64);
  const blocks: ProjectedBlock[] = [];
  for (let i = 0; i < list.length && c.ok; i++) {
    const b = c.object(list[i], () => `[${i}]`);
    const feeRange = c
      .list(field(b, 'feeRange'), () => `[${i}].feeRange`, 0, 64)
      .map((r, j) => c.rate(r, () => `[${i}].feeRange[${j}]`));
    const medianFee = c.rate(field(b, 'medianFee'), () => `[${i}].medianFee`);
    const nTx = c.count(field(b, 'nTx'), () => `[${i}].nTx`);
    const vsize = c.count(field(b, 'blockVSize'), () => `[${i}].blockVSize`);
    blocks.push({ feeRange: feeRange.sort((x, y) => x - y), medianFee, nTx, vsize });
  }
  return c.ok ? blocks : null;
}

const FEE_KEYS = ['fastestFee', 'halfHourFee', 'hourFee', 'economyFee', 'minimumFee'] as const;

/** Parse `fees` (RecommendedFees, possibly fractional); null when a value is bad. */
export function parseFees(value: unknown, c: Check = throwaway()): RecommendedFees | null {
  const o = c.object(value, '');
  const fees = Object.fromEntries(FEE_KEYS.map((k) => [k, c.rate(field(o, k), k)]));
  return c.ok ? (fees as unknown as RecommendedFees) : null;
}

/** Mempool size in vB from `mempoolInfo.bytes` (bitcoind reports vbytes there); null when bad. */
export function parseMempoolVsize(value: unknown, c: Check = throwaway()): number | null {
  const bytes = c.count(field(c.object(value, ''), 'bytes'), 'bytes');
  return c.ok ? bytes : null;
}

/**
 * USD price of one BTC from `conversions`; values ≤ 0 mean unavailable (null), and so does an
 * absent `USD`. Undefined when a value is bad.
 */
export function parseUsd(value: unknown, c: Check = throwaway()): number | null | undefined {
  const o = c.object(value, '');
  const usd = field(o, 'USD');
  if (!c.ok) return undefined;
  if (usd === undefined) return null;
  const price = c.price(usd, 'USD');
  if (!c.ok) return undefined;
  return price > 0 ? price : null;
}

/** The longest plausible mean block interval (a day): anything longer is a bad value. */
const MAX_INTERVAL_MS = 86_400_000;

/**
 * The mean block interval in minutes from `da` (difficulty adjustment): its `timeAvg`, in ms.
 * Null when absent or not a plausible interval (0 < ms ≤ a day).
 */
export function parseBlockInterval(value: unknown, c: Check = throwaway()): number | null {
  const ms = field(c.object(value, ''), 'timeAvg');
  if (!c.ok) return null;
  if (typeof ms !== 'number' || !(ms > 0 && ms <= MAX_INTERVAL_MS)) {
    c.fail('bad-count', 'timeAvg', `timeAvg must be a duration in ms in (0, ${MAX_INTERVAL_MS}]`);
    return null;
  }
  return Math.round((ms / 60_000) * 1000) / 1000;
}

/** The latest known state of the mempool, updated piece by piece as frames arrive. */
export interface StatsState {
  projectedBlocks: ProjectedBlock[] | null;
  fees: RecommendedFees | null;
  mempoolVsize: number | null;
  usdPrice: number | null;
  /** Mean block interval in minutes (from `da`), null until known. */
  blockIntervalMinutes?: number | null;
}

/** The `mempool.stats` payload for the state, or null until projected blocks are known. */
export function toStats(state: StatsState): MempoolStats | null {
  if (!state.projectedBlocks) return null;
  return {
    projectedBlocks: state.projectedBlocks,
    recommendedFees: state.fees,
    mempoolVsize: state.mempoolVsize ?? state.projectedBlocks.reduce((sum, b) => sum + b.vsize, 0),
    usdPrice: state.usdPrice,
    ...(state.blockIntervalMinutes ? { blockIntervalMinutes: state.blockIntervalMinutes } : {}),
  };
}
