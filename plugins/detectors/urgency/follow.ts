import {
  createLru,
  type AnyEnvelope,
  type Eta,
  type MempoolStats,
  type TxPosition,
  type Urgency,
} from '../../../src/index.js';
import { etaOf } from './eta.js';
import type { PlacedTx } from './placement.js';
import { urgencyOf } from './score.js';

/** Pending whales followed by default. */
export const FOLLOWED_WHALES = 10_000;

/** The state the prediction of a whale needs, as the detector last saw it. */
export interface FollowContext {
  /** The latest stats, or null; `stale` says why they are not used (null when fresh). */
  stats: MempoolStats | null;
  stale: string | null;
  /** The mean block interval in minutes. */
  interval: number;
}

/** What the detector keeps of one annotated whale. */
interface Followed {
  tx: PlacedTx;
  predictedBlocks: number;
}

/** The pending whales whose prediction the urgency detector keeps current. */
export interface Followers {
  /** A whale was annotated with this prediction: follow it (the least recent forgotten first). */
  annotated(txid: string, tx: PlacedTx, urgency: Urgency): void;
  /**
   * What an observed event changes: for a `tx.position` of a followed whale, the new prediction
   * when its predicted block differs from the last one (then remembered), else null. A
   * `block.connected` (its txids), `tx.replaced` or `tx.removed` forgets the whale: it is no
   * longer pending, so nothing of it is updated again. Other events: null.
   */
  observe(e: AnyEnvelope, context: () => FollowContext): { txid: string; urgency: Urgency; eta: Eta } | null;
  size(): number;
}

/**
 * Follow annotated whales: recompute the prediction from the position the input's server now
 * projects, with the same scoring as at detection ({@link urgencyOf}: the position gives the block
 * when the projected blocks are fresh, the static bands otherwise). A CPFP package rate sent with
 * the position replaces the one known before.
 */
export function createFollowers(max = FOLLOWED_WHALES): Followers {
  const whales = createLru<string, Followed>(max);
  const moved = (p: TxPosition, context: FollowContext) => {
    const w = whales.get(p.txid);
    if (!w) return null;
    const tx: PlacedTx = {
      ...w.tx,
      ...(p.effectiveFeeRate !== undefined ? { effectiveFeeRate: p.effectiveFeeRate } : {}),
      position: { block: p.block, vsize: p.vsize },
    };
    w.tx = {
      feeRate: tx.feeRate,
      vsize: tx.vsize,
      ...(tx.effectiveFeeRate !== undefined ? { effectiveFeeRate: tx.effectiveFeeRate } : {}),
    };
    const urgency = urgencyOf(tx, context.stats, context.stale);
    if (urgency.predictedBlocks === w.predictedBlocks) return null;
    w.predictedBlocks = urgency.predictedBlocks;
    return { txid: p.txid, urgency, eta: etaOf(urgency.predictedBlocks, context.interval) };
  };
  return {
    annotated(txid, tx, urgency) {
      const kept: PlacedTx = { feeRate: tx.feeRate, vsize: tx.vsize };
      if (tx.effectiveFeeRate !== undefined) kept.effectiveFeeRate = tx.effectiveFeeRate;
      whales.set(txid, { tx: kept, predictedBlocks: urgency.predictedBlocks });
    },
    observe(e, context) {
      switch (e.type) {
        case 'tx.position':
          return moved(e.data, context());
        case 'block.connected':
          for (const txid of e.data.txids) whales.delete(txid);
          return null;
        case 'tx.replaced':
        case 'tx.removed':
          whales.delete(e.data.txid);
          return null;
        default:
          return null;
      }
    },
    size: () => whales.size,
  };
}
