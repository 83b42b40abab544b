import type { ProjectedBlock, TxSeen } from '../../../src/index.js';

/**
 * The vB a block offers transactions: Core's default block weight limit (3,996,000 WU) less the
 * 4,000 WU it keeps for the coinbase, over 4. mempool.space's projected blocks fill to the same
 * (997,9xx vB in its frames).
 */
export const BLOCK_VSIZE = 998_000;

/** mempool.space sends its last block as a "stack" of the rest once that holds over 4,000,000 WU. */
const STACK_VSIZE = 1_000_000;

/** Fee-rate percentiles of a seven-point `feeRange`: [min, p10, p25, p50, p75, p90, max]. */
export const RANGE_POINTS = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];

/**
 * The percentile of each point of a fee range: the seven standard points, or evenly spaced
 * ones for any other length (mempool.space's last block, the "stack" of everything beyond the
 * seventh, carries min, p10 … p90 in steps of 10, max).
 */
export function rangePoints(length: number): number[] {
  if (length === RANGE_POINTS.length) return RANGE_POINTS;
  return Array.from({ length }, (_, i) => (length === 1 ? 1 : i / (length - 1)));
}

const lerp = (x: number, x0: number, x1: number, y0: number, y1: number) =>
  x1 === x0 ? y1 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);

/**
 * The share of a block paying less than `rate`, from its ascending fee range, linear between the
 * points. The share sitting exactly at `rate` counts as not below, so a tie with a cluster of
 * equal rates is never counted in the transaction's favour. Non-decreasing in `rate`.
 */
export function shareBelow(rate: number, range: number[]): number {
  if (range.length === 0) return 1;
  const points = rangePoints(range.length);
  if (rate <= (range[0] as number)) return 0;
  for (let i = 1; i < range.length; i++) {
    const hi = range[i] as number;
    if (rate <= hi)
      return lerp(rate, range[i - 1] as number, hi, points[i - 1] as number, points[i] as number);
  }
  return 1;
}

/** The vB of `block` paying at least `rate` (ties count as ahead), estimated from its fee range. */
export function vsizeAhead(rate: number, block: ProjectedBlock): number {
  return block.vsize * (1 - shareBelow(rate, block.feeRange));
}

/**
 * The block (1-based) a transaction of `vsize` vB paying `rate` sat/vB lands in, by the block
 * space ahead of it: the first projected block where what pays at least as much — the block's
 * own share plus the share of the block after it (packages too large for the gap, pushed back)
 * — leaves room for the transaction within {@link BLOCK_VSIZE}. A rate tied with the bottom of a
 * full block therefore lands in it only when the transaction is small enough to fill the gap,
 * and a low rate still lands in the next block when that block is not full. Inside a last
 * projected block that stacks many, the transaction is `(ahead + vsize) / BLOCK_VSIZE` blocks
 * deep. One past the last projected block when none has room (so 1 without projected blocks: an
 * empty mempool). Non-increasing in `rate` for a given `vsize`.
 *
 * The fee ranges are percentiles by transaction count, not by vsize, so the space ahead is an
 * estimate; it is exact at the extremes (above a block's maximum, below its minimum).
 */
export function blockByRate(rate: number, vsize: number, blocks: ProjectedBlock[]): number {
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i] as ProjectedBlock;
    const next = blocks[i + 1];
    const ahead = vsizeAhead(rate, block) + (next ? vsizeAhead(rate, next) : 0);
    if (ahead + vsize <= BLOCK_VSIZE) return i + 1;
    if (!next && block.vsize > STACK_VSIZE) return i + 1 + Math.floor((ahead + vsize) / BLOCK_VSIZE);
  }
  return blocks.length + 1;
}

/** What {@link placeTx} reads of a transaction. */
export type PlacedTx = Pick<TxSeen, 'feeRate' | 'vsize'> &
  Partial<Pick<TxSeen, 'effectiveFeeRate' | 'position'>>;

/** A predicted block and how it was found. */
export interface Placement {
  /** 1 = the next block. */
  block: number;
  /** The fee rate used: the package rate when the input sent one, else the transaction's own. */
  rateUsed: 'effective' | 'own';
  /** That rate in sat/vB. */
  rate: number;
  /** `position`: the input's server placed it (mempool.space's own projection); else `block-space`. */
  by: 'position' | 'block-space';
}

/**
 * Where a transaction will confirm, given the projected blocks: the server's own position when
 * the input sent one (its block index + 1, plus how many blocks deep it sits when that block is
 * the last one and stacks several), else {@link blockByRate} with the effective (package,
 * CPFP-aware) rate when the input sent one, else with its own rate.
 */
export function placeTx(tx: PlacedTx, blocks: ProjectedBlock[]): Placement {
  const effective = tx.effectiveFeeRate !== undefined && Number.isFinite(tx.effectiveFeeRate);
  const rate = effective ? (tx.effectiveFeeRate as number) : tx.feeRate;
  const rateUsed = effective ? 'effective' : 'own';
  const position = tx.position;
  if (position && Number.isInteger(position.block) && position.block >= 0) {
    const stack = blocks[position.block];
    const last = position.block === blocks.length - 1 && stack !== undefined && stack.vsize > STACK_VSIZE;
    const deeper = last ? Math.floor(Math.max(0, position.vsize) / BLOCK_VSIZE) : 0;
    return { block: position.block + 1 + deeper, rateUsed, rate, by: 'position' };
  }
  return { block: blockByRate(rate, tx.vsize, blocks), rateUsed, rate, by: 'block-space' };
}
