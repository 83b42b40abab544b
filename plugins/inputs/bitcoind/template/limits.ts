/**
 * Core's default `-blockmaxweight`: 4,000,000 WU less 4,000 for the coinbase. Blocks are counted
 * from {@link RESERVED_WEIGHT}, as Core's `BlockAssembler` counts them.
 */
export const MAX_BLOCK_WEIGHT = 3_996_000;

/** The weight a block starts from: what Core keeps for the coinbase. */
export const RESERVED_WEIGHT = 4_000;

/** Core's per-block sigop cost limit. */
export const MAX_BLOCK_SIGOPS = 80_000;

/** The sigop cost a block starts from: what Core keeps for the coinbase. */
export const RESERVED_SIGOPS = 400;

/**
 * mempool.space's `BLOCK_WEIGHT_UNITS`: a last projected block heavier than this is a "stack" of
 * several blocks' worth, summarized by weight bands instead of by transaction count.
 */
export const STACK_WEIGHT = 4_000_000;

/** Failed packages in a row after which Core calls a nearly full block full. */
export const MAX_CONSECUTIVE_FAILURES = 1_000;

/**
 * A transaction's virtual size as Core counts it for block space and `getmempoolinfo.bytes`:
 * the larger of its vsize (weight / 4, rounded up) and its sigop cost × 20 / 4 (`-bytespersigop`
 * 20). At least 1, so that a bad entry of weight 0 cannot make a rate infinite.
 */
export const adjustedVsize = (weight: number, sigops: number): number =>
  Math.max(1, Math.ceil(weight / 4), sigops * 5);
