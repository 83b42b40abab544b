import type { ProjectedBlock, RecommendedFees } from '../../../src/index.js';
import type { Rpc } from './rpc.js';

/** BTC/kvB (Core's unit for fee rates) to sat/vB. */
const satPerVb = (btcPerKvb: number): number => Math.round(btcPerKvb * 1e5 * 1000) / 1000;

/** Confirmation targets asked of `estimatesmartfee`: fastest, half an hour, an hour, a day. */
const TARGETS = [1, 3, 6, 144] as const;

/** Fee facts of the node, refreshed when a block arrives. */
export interface Fees {
  /** Ask the node again (after a block or a resync); failures keep the last answer. */
  refresh(): Promise<void>;
  /**
   * Recommended fee rates: Core's `estimatesmartfee` for 1, 3, 6 and 144 blocks, each at least
   * the mempool's minimum (`mempoolminfee`); where Core has no estimate yet (a fresh node), the
   * median fee of projected block 0, 1, 2 instead, as mempool.space recommends. Null before the
   * first answer.
   */
  recommended(blocks: readonly ProjectedBlock[]): RecommendedFees | null;
  /** Core's `mempoolminfee` in sat/vB (asked when unknown), null when the node cannot be asked. */
  minFeeRate(): Promise<number | null>;
}

export function createFees(rpc: Rpc): Fees {
  let estimates: Array<number | null> | null = null;
  let minimum: number | null = null;

  const refresh = async () => {
    try {
      const answers = await rpc.batch([
        { method: 'getmempoolinfo' },
        ...TARGETS.map((n) => ({ method: 'estimatesmartfee', params: [n] })),
      ]);
      const info = answers[0]!;
      if ('result' in info) {
        const min = (info.result as { mempoolminfee?: unknown }).mempoolminfee;
        if (typeof min === 'number') minimum = Math.max(satPerVb(min), 1);
      }
      estimates = answers.slice(1).map((a) => {
        const rate = 'result' in a ? (a.result as { feerate?: unknown }).feerate : undefined;
        return typeof rate === 'number' && rate > 0 ? satPerVb(rate) : null;
      });
    } catch {
      // The status loop reports the outage; the last figures stay until the node answers.
    }
  };

  return {
    refresh,
    recommended(blocks) {
      if (minimum === null) return null;
      const min = minimum;
      const at = (i: number) => Math.max(min, estimates?.[i] ?? blocks[Math.min(i, 2)]?.medianFee ?? min);
      const hourFee = at(2);
      return {
        fastestFee: at(0),
        halfHourFee: at(1),
        hourFee,
        economyFee: Math.max(min, Math.min(estimates?.[3] ?? 2 * min, hourFee)),
        minimumFee: min,
      };
    },
    async minFeeRate() {
      if (minimum === null) await refresh();
      return minimum;
    },
  };
}
