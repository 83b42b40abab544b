import type { PredictionRecord } from '../../../src/index.js';

/**
 * Minutes a whale waited for its block, unrounded, never negative: the block's time minus the
 * transaction's first-seen time, both on the feed's own clock (simulated time on the
 * simulator, whatever speed it runs at; the block header's timestamp on mempool.space). When
 * either is unreadable, the wall clock: the block's arrival (`arrivedAt`) minus the detection.
 * 0 when neither can be read. `whale.confirmed` carries it rounded (`minutesWaited`); the ETA is
 * judged on it unrounded.
 */
export function waitedExactMinutes(
  p: Pick<PredictionRecord, 'firstSeen' | 'detectedAt'>,
  arrivedAt: string,
  blockTime: string,
): number {
  const mined = Date.parse(blockTime);
  const seen = Date.parse(p.firstSeen);
  const ms =
    Number.isFinite(mined) && Number.isFinite(seen)
      ? mined - seen
      : Date.parse(arrivedAt) - Date.parse(p.detectedAt);
  return Number.isFinite(ms) ? Math.max(0, ms / 60_000) : 0;
}
