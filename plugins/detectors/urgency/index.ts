import { Type } from '@sinclair/typebox';
import { type MempoolStats, parseDuration, defineDetector, Duration } from '../../../src/index.js';
import { DEFAULT_BLOCK_INTERVAL_MINUTES, etaOf } from './eta.js';
import { urgencyOf } from './score.js';

/**
 * `urgency`: how soon a whale is likely to confirm. Annotates each whale with `urgency` (score
 * 0–1, level, predicted block, the rate used and the basis: the server's projected position, the
 * block space ahead of the rate in the live projected blocks of the latest `mempool.stats`, or
 * static fee-rate bands when there are none or they are older than `staleAfter`) and `eta` (the
 * minutes to the predicted block, from the latest mean block interval, 10 min without one).
 */
export default defineDetector({
  name: 'urgency',
  description:
    'Predicts the block a whale confirms in from the projected blocks, scores how urgent it is, and estimates when (ETA in minutes).',
  options: Type.Object({
    staleAfter: Duration({
      default: '5m',
      description: 'Mempool stats older than this are not used (static bands instead).',
    }),
  }),
  consumes: ['mempool.stats'],
  setup(ctx) {
    const staleMs = parseDuration(ctx.options.staleAfter);
    let stats: MempoolStats | null = null;
    let receivedAt = 0;
    return {
      // Through the chain, not a subscription: a whale published right after the stats uses them.
      observe(e) {
        if (e.type !== 'mempool.stats') return;
        stats = e.data;
        receivedAt = Date.now();
      },
      annotate(tx) {
        const age = Date.now() - receivedAt;
        const stale =
          stats !== null && age > staleMs ? `mempool stats ${Math.round(age / 1000)} s old` : null;
        const urgency = urgencyOf(tx, stats, stale);
        // The interval moves slowly: the latest one is used even when the blocks are stale.
        const interval = stats?.blockIntervalMinutes ?? DEFAULT_BLOCK_INTERVAL_MINUTES;
        return { urgency, eta: etaOf(urgency.predictedBlocks, interval) };
      },
    };
  },
});
