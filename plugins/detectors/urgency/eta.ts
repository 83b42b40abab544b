import jstat from 'jstat';
import type { Eta } from '../../../src/index.js';

const { jStat } = jstat;

/** The mean block interval assumed when the input does not send one. */
export const DEFAULT_BLOCK_INTERVAL_MINUTES = 10;

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * When a transaction predicted to confirm in `blocks` blocks is likely to: blocks arrive as a
 * Poisson process with mean interval `intervalMinutes`, so the wait for the k-th block from now
 * is Gamma(shape k, scale interval) (memoryless: the time since the last block does not matter).
 * The 10%, 50% and 90% quantiles in minutes, one decimal; k = 1 is the exponential, median
 * interval × ln 2. A non-positive or non-finite interval counts as the default 10 minutes;
 * `blocks` is at least 1.
 */
export function etaOf(blocks: number, intervalMinutes: number = DEFAULT_BLOCK_INTERVAL_MINUTES): Eta {
  const k = Math.max(1, Math.round(blocks));
  const m =
    Number.isFinite(intervalMinutes) && intervalMinutes > 0
      ? intervalMinutes
      : DEFAULT_BLOCK_INTERVAL_MINUTES;
  const q = (p: number) => round1(jStat.gamma.inv(p, k, m));
  return { blocks: k, p10Minutes: q(0.1), p50Minutes: q(0.5), p90Minutes: q(0.9) };
}
