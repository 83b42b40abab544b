import type { MempoolStats, ProjectedBlock, Urgency, UrgencyLevel } from '../../../src/index.js';

/** Fee-rate percentiles the projected blocks' `feeRange` gives: [min, p10, p25, p50, p75, p90, max]. */
const RANGE_POINTS = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];

/** Score bands by mempool fee-rate percentile: [percentile from, to, score from, to]. */
const BANDS: Array<[number, number, number, number]> = [
  [0, 0.1, 0, 0.2],
  [0.1, 0.25, 0.2, 0.4],
  [0.25, 0.5, 0.4, 0.6],
  [0.5, 0.75, 0.6, 0.8],
  [0.75, 0.9, 0.8, 0.95],
  [0.9, 1, 0.95, 1],
];

/** Level of a score: low < 0.3 ≤ medium < 0.7 ≤ high < 0.95 ≤ critical. */
export function levelOf(score: number): UrgencyLevel {
  return score < 0.3 ? 'low' : score < 0.7 ? 'medium' : score < 0.95 ? 'high' : 'critical';
}

const lerp = (x: number, x0: number, x1: number, y0: number, y1: number) =>
  x1 === x0 ? y1 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);

/**
 * The share of the mempool (by vsize) paying less than `rate`, from the projected blocks: each
 * block's fee range gives seven percentile points, linear between them. Non-decreasing in `rate`.
 */
export function feePercentile(rate: number, blocks: ProjectedBlock[]): number {
  const total = blocks.reduce((s, b) => s + b.vsize, 0);
  if (total <= 0) return 0.5;
  let below = 0;
  for (const b of blocks) {
    const range = b.feeRange.length === RANGE_POINTS.length ? b.feeRange : spread(b.feeRange);
    below += b.vsize * shareBelow(rate, range);
  }
  return Math.min(1, Math.max(0, below / total));
}

function shareBelow(rate: number, range: number[]): number {
  const first = range[0] as number;
  const last = range[range.length - 1] as number;
  if (rate <= first) return 0;
  if (rate > last) return 1;
  for (let i = 1; i < range.length; i++) {
    const hi = range[i] as number;
    if (rate <= hi)
      return lerp(rate, range[i - 1] as number, hi, RANGE_POINTS[i - 1] as number, RANGE_POINTS[i] as number);
  }
  return 1;
}

// The last projected block (the "stack") may carry more than seven points: keep min, the
// nearest points to the seven percentiles, and max.
function spread(range: number[]): number[] {
  if (range.length === 0) return [0, 0, 0, 0, 0, 0, 0];
  return RANGE_POINTS.map((p) => range[Math.round(p * (range.length - 1))] as number);
}

/** The score for a percentile, linear inside each band. */
export function scoreOfPercentile(p: number): number {
  for (const [p0, p1, s0, s1] of BANDS) if (p <= p1) return lerp(p, p0, p1, s0, s1);
  return 1;
}

/**
 * Predicted block: the first projected block (1-based) whose fee range the rate reaches (rate ≥
 * its minimum); one past the last block when it reaches none.
 */
export function predictBlocks(rate: number, blocks: ProjectedBlock[]): number {
  const i = blocks.findIndex((b) => b.feeRange.length > 0 && rate >= (b.feeRange[0] as number));
  return i === -1 ? blocks.length + 1 : i + 1;
}

/** Static bands without live stats: <10 sat/vB 0–0.3, 10–50 0.3–0.7, >50 0.7–1. */
export function staticScore(rate: number): number {
  if (rate < 10) return lerp(Math.max(0, rate), 0, 10, 0, 0.3);
  if (rate <= 50) return lerp(rate, 10, 50, 0.3, 0.7);
  return Math.min(1, lerp(rate, 50, 500, 0.7, 1));
}

const STATIC_BLOCKS: Record<UrgencyLevel, number> = { low: 6, medium: 3, high: 1, critical: 1 };

/** Congestion class from the mempool size: <10 MvB low, 10–50 medium, 50–100 high, >100 extreme. */
export function congestionOf(mempoolVsize: number): NonNullable<Urgency['congestion']> {
  const mb = mempoolVsize / 1e6;
  return mb < 10 ? 'low' : mb < 50 ? 'medium' : mb <= 100 ? 'high' : 'extreme';
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The urgency of a transaction paying `rate` sat/vB. With `stats` (fresh projected blocks):
 * predicted block from the fee ranges and score from the fee-rate percentile (basis
 * `projected-blocks`); otherwise the static bands, with `basis` saying why.
 */
export function urgencyOf(rate: number, stats: MempoolStats | null, staleReason: string | null): Urgency {
  if (stats && stats.projectedBlocks.length > 0 && staleReason === null) {
    const score = round(scoreOfPercentile(feePercentile(rate, stats.projectedBlocks)));
    return {
      score,
      level: levelOf(score),
      predictedBlocks: predictBlocks(rate, stats.projectedBlocks),
      basis: 'projected-blocks',
      congestion: congestionOf(stats.mempoolVsize),
    };
  }
  const score = round(staticScore(rate));
  const level = levelOf(score);
  const urgency: Urgency = {
    score,
    level,
    predictedBlocks: STATIC_BLOCKS[level],
    basis: staleReason ? `static (${staleReason})` : 'static (no mempool stats yet)',
  };
  if (stats) urgency.congestion = congestionOf(stats.mempoolVsize);
  return urgency;
}
