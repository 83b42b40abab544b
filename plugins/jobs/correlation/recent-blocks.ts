/** Where and when a recently mined transaction was mined. */
export interface MinedIn {
  height: number;
  /** When the block reached Spout (ISO). */
  at: string;
  /** The block's own time (ISO). */
  blockTime: string;
}

export interface RecentBlocks {
  /** Remember a connected block's transactions; the oldest blocks go once over capacity. */
  add(block: MinedIn, txids: readonly string[]): void;
  /** The newest remembered block that mined `txid`, if any. */
  get(txid: string): MinedIn | undefined;
  /** How many txids are remembered. */
  size(): number;
}

/**
 * The transactions of the last blocks, for a whale.detected that reaches the correlation job
 * after its block. Kept per block — one `Set` of the block's txids beside one record of the
 * block — rather than one cache entry per transaction: mainnet and the benchmark feed both mine
 * thousands of transactions per block, every one of which would otherwise cost an entry, a
 * record and an eviction (the pipeline benchmark measured this at 3.4% of the process's CPU and
 * about 10 MB of its live heap at 50,000 entries). Whole blocks are dropped, oldest first, while
 * more than `capacity` txids are held; the newest block is always kept.
 */
export function createRecentBlocks(capacity: number): RecentBlocks {
  const blocks: Array<{ block: MinedIn; txids: Set<string> }> = [];
  let held = 0;
  return {
    add(block, txids) {
      if (txids.length === 0) return;
      const set = new Set(txids);
      blocks.push({ block, txids: set });
      held += set.size;
      while (blocks.length > 1 && held > capacity)
        held -= (blocks.shift() as { txids: Set<string> }).txids.size;
    },
    get(txid) {
      for (let i = blocks.length - 1; i >= 0; i--) {
        const b = blocks[i] as { block: MinedIn; txids: Set<string> };
        if (b.txids.has(txid)) return b.block;
      }
      return undefined;
    },
    size: () => held,
  };
}
