import type { LRUCache } from 'lru-cache';
import type { EventMap, TxSeen } from '../../../src/index.js';
import type { StatsState } from './stats.js';
import type { Refusal, RejectReason, TipGuard } from './validate.js';

/** Projected blocks a client may track (the server's `MEMPOOL_BLOCKS_AMOUNT`). */
export const PROJECTED_BLOCKS = 8;

/** What frames become: the events the input publishes apart from its own `input.status`. */
export type FrameEvent =
  'tx.seen' | 'tx.replaced' | 'tx.removed' | 'tx.position' | 'block.connected' | 'mempool.stats';

/** What the frame handler needs from the input. */
export interface FrameSink {
  emit<K extends FrameEvent>(type: K, data: EventMap[K]): void;
  /**
   * Transactions moving at most this many sats are skipped before they are read (no `tx.seen`),
   * read once per frame; null or absent: every transaction is read.
   */
  interestFloor?(): number | null;
  /** `n` transactions of a frame were skipped below the interest floor. */
  skipped?(n: number): void;
  /** Count and log a refused frame or item; the reason is a metrics label. */
  reject(reason: RejectReason, why: string): void;
  now(): number;
  /** Seen txids → whether they signalled RBF. A txid in it is never emitted again. */
  seen: LRUCache<string, boolean>;
  stats: StatsState;
  /**
   * The known chain tip: a block or recent-block height too far above it is refused as
   * implausible. Without one, heights are only checked on their own.
   */
  tip?: TipGuard;
  /** The full transaction list of projected block `index` arrived (gap recovery), validated. */
  onProjectedBlock(index: number, txs: TxSeen[]): void;
  /**
   * The recent blocks (`blocks`), oldest first, as the server reports them on `want`; called
   * before the tip moves to the newest of them.
   */
  onRecentBlocks(heights: number[]): void;
  /** The server says a tracked transaction confirmed or was replaced: stop tracking it. */
  untrack?(txid: string): void;
  /** The server refused the `track-txs` list (`track-txs-error`, with its text). */
  onTrackError?(why: string): void;
}

/** Count a refusal, if there is one. */
export const refuse = (sink: FrameSink, r: Refusal | null): void => {
  if (r) sink.reject(r.reason, r.why);
};
