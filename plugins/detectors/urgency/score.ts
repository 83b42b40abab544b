import type { MempoolStats, ProjectedBlock, Urgency, UrgencyLevel } from '../../../src/index.js';
import { placeTx, shareBelow, type PlacedTx } from './placement.js';

/** Level of a score: low < 0.3 ≤ medium < 0.7 ≤ high < 0.95 ≤ critical. */
export function levelOf(score: number): UrgencyLevel {
  return score < 0.3 ? 'low' : score < 0.7 ? 'medium' : score < 0.95 ? 'high' : 'critical';
}

const lerp = (x: number, x0: number, x1: number, y0: number, y1: number) =>
  x1 === x0 ? y1 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);

/**
 * The share of the mempool (by vsize) paying less than `rate`, from the projected blocks: each
 * block's fee range, linear between its points. Non-decreasing in `rate`; 0.5 without blocks.
 */
export function feePercentile(rate: number, blocks: ProjectedBlock[]): number {
  const total = blocks.reduce((s, b) => s + b.vsize, 0);
  if (total <= 0) return 0.5;
  const below = blocks.reduce((s, b) => s + b.vsize * shareBelow(rate, b.feeRange), 0);
  return Math.min(1, Math.max(0, below / total));
}

/**
 * The score of a live prediction: the band of the predicted block — the next block 0.7–1 (high,
 * critical from the 90th fee percentile up), 2–3 blocks 0.3–0.7 (medium), later 0–0.3 (low) —
 * and inside the band the fee-rate percentile `p`, linearly. So the level never contradicts the
 * prediction (a low fee that still makes the next block is high, not low), and for one
 * transaction size the score never falls as the fee rate grows.
 */
export function placementScore(block: number, p: number): number {
  const q = Math.min(1, Math.max(0, p));
  if (block <= 1) return q < 0.9 ? lerp(q, 0, 0.9, 0.7, 0.949) : lerp(q, 0.9, 1, 0.95, 1);
  return block <= 3 ? lerp(q, 0, 1, 0.3, 0.699) : lerp(q, 0, 1, 0, 0.299);
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
 * The urgency of a transaction. With `stats` (fresh projected blocks): the predicted block from
 * {@link placeTx} (the server's position when sent — basis `projected-position` — else the block
 * space ahead of its rate, basis `projected-blocks`) and the score from {@link placementScore}.
 * Otherwise the static fee-rate bands, with `basis` saying why, and the level's typical block
 * count. Either way the rate is the effective (package) rate when the input sent one, else the
 * transaction's own, and `rateUsed` / `rate` say which.
 */
export function urgencyOf(tx: PlacedTx, stats: MempoolStats | null, staleReason: string | null): Urgency {
  const blocks = stats && staleReason === null ? stats.projectedBlocks : [];
  const placement = placeTx(tx, blocks);
  const used = { rateUsed: placement.rateUsed, rate: round(placement.rate) };
  if (stats && blocks.length > 0) {
    const score = round(placementScore(placement.block, feePercentile(placement.rate, blocks)));
    return {
      score,
      level: levelOf(score),
      predictedBlocks: placement.block,
      basis: placement.by === 'position' ? 'projected-position' : 'projected-blocks',
      congestion: congestionOf(stats.mempoolVsize),
      ...used,
    };
  }
  const score = round(staticScore(placement.rate));
  const level = levelOf(score);
  const urgency: Urgency = {
    score,
    level,
    predictedBlocks: STATIC_BLOCKS[level],
    basis: `static (${staleReason ?? (stats ? 'no projected blocks' : 'no mempool stats yet')})`,
    ...used,
  };
  if (stats) urgency.congestion = congestionOf(stats.mempoolVsize);
  return urgency;
}
