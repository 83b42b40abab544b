import type { MempoolStats, ProjectedBlock, RecommendedFees } from '../../../src/bus/events.js';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e7;
const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e12;

/** Parse `mempool-blocks` (MempoolBlock[]); null when the shape is wrong. */
export function parseProjectedBlocks(value: unknown): ProjectedBlock[] | null {
  if (!Array.isArray(value) || value.length > 64) return null;
  const blocks: ProjectedBlock[] = [];
  for (const b of value) {
    if (!isObject(b) || !Array.isArray(b.feeRange) || !b.feeRange.every(isRate)) return null;
    if (!isRate(b.medianFee) || !isCount(b.nTx) || !isCount(b.blockVSize)) return null;
    blocks.push({
      feeRange: [...(b.feeRange as number[])].sort((x, y) => x - y),
      medianFee: b.medianFee,
      nTx: b.nTx,
      vsize: b.blockVSize,
    });
  }
  return blocks;
}

/** Parse `fees` (RecommendedFees, possibly fractional); null when the shape is wrong. */
export function parseFees(value: unknown): RecommendedFees | null {
  if (!isObject(value)) return null;
  const keys = ['fastestFee', 'halfHourFee', 'hourFee', 'economyFee', 'minimumFee'] as const;
  if (!keys.every((k) => isRate(value[k]))) return null;
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as unknown as RecommendedFees;
}

/** Mempool size in vB from `mempoolInfo.bytes` (bitcoind reports vbytes there); null when wrong. */
export function parseMempoolVsize(value: unknown): number | null {
  return isObject(value) && isCount(value.bytes) ? value.bytes : null;
}

/** USD price of one BTC from `conversions`; values ≤ 0 mean unavailable (null). Undefined when the shape is wrong. */
export function parseUsd(value: unknown): number | null | undefined {
  if (!isObject(value)) return undefined;
  const usd = value.USD;
  if (usd === undefined) return null;
  if (typeof usd !== 'number' || !Number.isFinite(usd)) return undefined;
  return usd > 0 ? usd : null;
}

/** The latest known state of the mempool, updated piece by piece as frames arrive. */
export interface StatsState {
  projectedBlocks: ProjectedBlock[] | null;
  fees: RecommendedFees | null;
  mempoolVsize: number | null;
  usdPrice: number | null;
}

/** The `mempool.stats` payload for the state, or null until projected blocks are known. */
export function toStats(state: StatsState): MempoolStats | null {
  if (!state.projectedBlocks) return null;
  return {
    projectedBlocks: state.projectedBlocks,
    recommendedFees: state.fees,
    mempoolVsize: state.mempoolVsize ?? state.projectedBlocks.reduce((sum, b) => sum + b.vsize, 0),
    usdPrice: state.usdPrice,
  };
}
