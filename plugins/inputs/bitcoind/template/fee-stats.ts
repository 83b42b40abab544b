import type { ProjectedBlock } from '../../../../src/index.js';

/** A projected block's fee statistics, as `mempool-blocks` carries them. */
export type FeeStats = Pick<ProjectedBlock, 'feeRange' | 'medianFee'>;

// The middle 10,000 WU of a 4,000,000 WU block, whose mean rate is the "median".
const [MEDIAN_FROM, MEDIAN_TO] = [1_995_000, 2_005_000];

/**
 * mempool.space's `Common.calcEffectiveFeeStatistics` for one block, from its members' weights
 * and effective rates (sat/vB) in block order. `medianFee`: the mean rate of the middle 10,000 WU
 * of the block sorted by rate (0 when it holds less). `feeRange`: [min, p10, p25, p50, p75, p90,
 * max] by transaction count, ascending, where min is the lower of the 1st percentile and the
 * lowest rate in the last 2% of the block (in block order), and max the higher of the 99th
 * percentile and the highest rate in its first 2%.
 */
export function blockFeeStats(weights: ArrayLike<number>, rates: ArrayLike<number>): FeeStats {
  const n = rates.length;
  const sorted = Array.from({ length: n }, (_, i) => i).sort((a, b) => rates[a]! - rates[b]!);
  const nth = (p: number) => (n === 0 ? 0 : rates[sorted[Math.floor((n - 1) * (p / 100))]!]!);
  let [at, fee, weight] = [0, 0, 0];
  for (let k = 0; k < n && at < MEDIAN_TO; k++) {
    const [w, r] = [weights[sorted[k]!]!, rates[sorted[k]!]!];
    const part = Math.min(at + w, MEDIAN_TO) - Math.max(at, MEDIAN_FROM);
    if (part > 0) [fee, weight] = [fee + r * (part / 4), weight + part];
    at += w;
  }
  // `slice(-n / 50)` in the original truncates toward zero: under 50 transactions, the "last 2%"
  // is the whole block and the "first 2%" is empty. Kept, to give the server's figures.
  const tailFrom = Math.trunc(n / 50) === 0 ? 0 : n - Math.trunc(n / 50);
  let [tail, head] = [Infinity, 0];
  for (let i = tailFrom; i < n; i++) tail = Math.min(tail, rates[i]!);
  for (let i = 0; i < Math.trunc(n / 50); i++) head = Math.max(head, rates[i]!);
  const feeRange = [Math.min(nth(1), tail), ...[10, 25, 50, 75, 90].map(nth), Math.max(nth(99), head)];
  return { feeRange, medianFee: weight ? fee / (weight / 4) : 0 };
}

// mempool.space's `OnlineFeeStatsCalculator(stackWeight, 0.5, [10, 20, …, 90])`: bands 0.5% of the
// stack's weight wide, centred on these percentiles of its weight counted from the top.
const STACK_PERCENTILES = [0.25, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99.75];
const STACK_BAND = 0.005;

/**
 * mempool.space's statistics of a last projected block that stacks several blocks' worth (its
 * `getRawFeeStats`), from the members' weights and effective rates in block order and the
 * stack's weight as the block builder counts it. `feeRange`: eleven points, the mean rate of the
 * band of 0.5% of the stack's weight around each of the 0.25th, 10th, 20th … 90th and 99.75th
 * percentile of weight, counted from the top of the stack, lowest first (a band never reached
 * counts 0); `medianFee`: the 50th percentile's. Sorted ascending, as Spout carries every range.
 */
export function stackFeeStats(
  weights: ArrayLike<number>,
  rates: ArrayLike<number>,
  stackWeight: number,
): FeeStats {
  const width = stackWeight * STACK_BAND;
  const means: number[] = []; // from the top of the stack down
  let band = 0;
  let [left, right] = [0, 0];
  const nextBand = () => {
    const p = STACK_PERCENTILES[band];
    left = p === undefined ? Infinity : (p / 100) * stackWeight - width / 2;
    right = left + width;
  };
  nextBand();
  let [total, bandFee, bandWeight, inBand] = [0, 0, 0, false];
  for (let i = 0; i < rates.length; i++) {
    const [w, r] = [weights[i]!, rates[i]!];
    const end = total + w;
    for (let from = total; (inBand || end > left) && from < end;) {
      if (end > left) {
        inBand = true;
        const part = Math.min(end, right) - Math.max(from, left);
        [bandFee, bandWeight] = [bandFee + r * part, bandWeight + part];
      }
      from = Math.min(end, right);
      if (from >= right) {
        means.push(bandWeight ? bandFee / bandWeight : 0);
        [inBand, bandFee, bandWeight] = [false, 0, 0];
        band++;
        nextBand();
      }
    }
    total = end;
  }
  if (bandWeight > 0) means.push(bandFee / bandWeight);
  while (means.length < STACK_PERCENTILES.length) means.push(0);
  const medianFee = means[means.length - 1 - Math.floor(means.length / 2)]!;
  return { feeRange: means.sort((a, b) => a - b), medianFee };
}
