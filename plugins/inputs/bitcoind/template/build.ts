import { blockFeeStats, stackFeeStats } from './fee-stats.js';
import { buildGraph } from './graph.js';
import { STACK_WEIGHT } from './limits.js';
import { selectBlocks } from './select.js';
import type { BuildOptions, BuiltBlock, TemplateTx } from './types.js';

/**
 * Project `txs` (a mempool) into up to `maxBlocks` blocks as Bitcoin Core would fill them, the
 * first being Core's next block template, and summarize each as mempool.space does: a port of
 * mempool.space's GBT (Rust `gbt.rs`, accelerations left out; {@link selectBlocks}) and of its
 * `mempool-blocks` statistics ({@link blockFeeStats}; for a last block that stacks over
 * 4,000,000 WU, {@link stackFeeStats}). Block `vsize` is the members' weight over 4 (fractional,
 * as mempool.space's `blockVSize`). Pure: `txs` is not modified. Transactions that fit in no block
 * (a package too large for an empty one, impossible for a standard mempool) are left out.
 */
export function buildProjectedBlocks(txs: readonly TemplateTx[], options: BuildOptions = {}): BuiltBlock[] {
  const maxBlocks = Math.max(1, Math.floor(options.maxBlocks ?? 8));
  const graph = buildGraph(txs);
  const { blocks, weights, rates } = selectBlocks(graph, maxBlocks);
  return blocks.map((members, b): BuiltBlock => {
    const memberWeights = members.map((i) => graph.weight[i]!);
    const memberRates = members.map((i) => rates[i]!);
    const stack = blocks.length === maxBlocks && b === maxBlocks - 1 && weights[b]! > STACK_WEIGHT;
    const stats = stack
      ? stackFeeStats(memberWeights, memberRates, weights[b]!)
      : blockFeeStats(memberWeights, memberRates);
    const vsize = memberWeights.reduce((sum, w) => sum + w, 0) / 4;
    return {
      uids: members.map((i) => graph.uid[i]!),
      rates: memberRates,
      summary: { ...stats, nTx: members.length, vsize },
    };
  });
}
