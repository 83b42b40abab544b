import { LRUCache } from 'lru-cache';
import type { EventMap, EventType } from '../../src/bus/events.js';
import type { FrameSink, RejectReason } from '../../plugins/inputs/mempool/frames.js';

/** The time a {@link frameSink} says it is: after every fixture's time. */
export const FRAME_NOW = Date.parse('2026-11-21T10:00:00Z');

/** What a {@link frameSink} collected from the frame handler. */
export interface CollectedFrames {
  /** The sink to hand to `handleFrame`. */
  s: FrameSink;
  events: Array<{ type: EventType; data: unknown }>;
  /** Refusals counted by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** Full projected blocks that arrived (gap recovery). */
  projected: Array<{ index: number; txs: unknown[] }>;
  /** Txids the server said are no longer to be tracked. */
  untracked: string[];
}

/**
 * A frame sink that collects what the mempool input's frame handler emits, refuses, recovers
 * and untracks, with a fresh `seen` cache and no stats yet.
 */
export function frameSink(): CollectedFrames {
  const events: CollectedFrames['events'] = [];
  const rejected: CollectedFrames['rejected'] = {};
  const projected: CollectedFrames['projected'] = [];
  const untracked: string[] = [];
  const s: FrameSink = {
    emit: <K extends EventType>(type: K, data: EventMap[K]) => void events.push({ type, data }),
    reject: (reason) => void (rejected[reason] = (rejected[reason] ?? 0) + 1),
    // A fixed clock after every fixture's time: times are checked against "now + 2 h".
    now: () => FRAME_NOW,
    seen: new LRUCache({ max: 100 }),
    stats: { projectedBlocks: null, fees: null, mempoolVsize: null, usdPrice: null },
    onProjectedBlock: (index, txs) => void projected.push({ index, txs }),
    onRecentBlocks: () => {},
    untrack: (txid) => void untracked.push(txid),
  };
  return { s, events, rejected, projected, untracked };
}
