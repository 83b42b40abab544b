import type { MempoolStats, ProjectedBlock, RecommendedFees } from '../../../src/index.js';
import type { BlockTemplate } from './mempool-model.js';

const MINIMUM_FEE = 1;
const PERCENTILES = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1] as const;

/**
 * Summarize one projected block: `feeRange` is [min, p10, p25, p50, p75, p90, max] of its fee
 * rates (ascending; the percentile p is the transaction of ascending rank ⌊p × (n − 1)⌋),
 * `medianFee` is p50.
 */
export function summarizeBlock(block: BlockTemplate): ProjectedBlock {
  const n = block.nTx;
  // Block order runs from the highest fee rate down: ascending rank r is block index n - 1 - r.
  const at = (p: number) => block.feeRateAt(n - 1 - Math.floor(p * (n - 1)));
  return { feeRange: PERCENTILES.map(at), medianFee: at(0.5), nTx: n, vsize: block.vsize };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Recommended fees the way mempool.space derives them from projected blocks: a block that is
 * less than half full asks only the minimum fee, a nearly full last block is interpolated, and
 * the result is made monotone (fastest ≥ half hour ≥ hour ≥ economy ≥ minimum = 1).
 */
export function recommendFees(blocks: readonly ProjectedBlock[], maxBlockVsize: number): RecommendedFees {
  const feeFor = (i: number): number => {
    const block = blocks[i];
    if (!block || block.vsize <= maxBlockVsize / 2 || block.medianFee < MINIMUM_FEE) return MINIMUM_FEE;
    const isLast = i === blocks.length - 1;
    if (isLast && block.vsize < maxBlockVsize * 0.95) {
      const fill = (block.vsize - maxBlockVsize / 2) / (maxBlockVsize / 2);
      return Math.max(MINIMUM_FEE, block.medianFee * fill);
    }
    return block.medianFee;
  };
  const hourFee = Math.max(MINIMUM_FEE, round2(feeFor(2)));
  const halfHourFee = Math.max(hourFee, round2(feeFor(1)));
  const fastestFee = Math.max(halfHourFee, round2(feeFor(0)));
  const economyFee = Math.max(MINIMUM_FEE, Math.min(2 * MINIMUM_FEE, hourFee));
  return { fastestFee, halfHourFee, hourFee, economyFee, minimumFee: MINIMUM_FEE };
}

/** The `mempool.stats` payload for the given projected blocks. */
export function mempoolStats(
  projected: readonly BlockTemplate[],
  mempoolVsize: number,
  maxBlockVsize: number,
  usdPrice: number,
): MempoolStats {
  const projectedBlocks = projected.map((block) => summarizeBlock(block));
  return {
    projectedBlocks,
    recommendedFees: recommendFees(projectedBlocks, maxBlockVsize),
    mempoolVsize,
    usdPrice,
  };
}
