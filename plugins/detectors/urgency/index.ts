import { Type } from '@sinclair/typebox';
import { type MempoolStats, parseDuration, defineDetector, Duration } from '../../../src/index.js';
import { DEFAULT_BLOCK_INTERVAL_MINUTES, etaOf } from './eta.js';
import { createFollowers, type FollowContext } from './follow.js';
import { urgencyOf } from './score.js';

/**
 * `urgency`: how soon a whale is likely to confirm. Annotates each whale with `urgency` (score
 * 0–1, level, predicted block, the rate used and the basis: the server's projected position, the
 * block space ahead of the rate in the live projected blocks of the latest `mempool.stats`, or
 * static fee-rate bands when there are none or they are older than `staleAfter`) and `eta` (the
 * minutes to the predicted block, from the latest mean block interval, 10 min without one).
 * Keeps the prediction of pending whales current: from each `tx.position` of a whale it
 * annotated (the last 10,000, until confirmed, replaced or removed) it predicts again and
 * publishes `whale.updated` when the predicted block changed.
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
  consumes: ['mempool.stats', 'tx.position', 'block.connected', 'tx.replaced', 'tx.removed'],
  emits: ['whale.updated'],
  setup(ctx) {
    const staleMs = parseDuration(ctx.options.staleAfter);
    let stats: MempoolStats | null = null;
    let receivedAt = 0;
    const followers = createFollowers();
    const context = (): FollowContext => {
      const age = ctx.now() - receivedAt;
      return {
        stats,
        stale: stats !== null && age > staleMs ? `mempool stats ${Math.round(age / 1000)} s old` : null,
        // The interval moves slowly: the latest one is used even when the blocks are stale.
        interval: stats?.blockIntervalMinutes ?? DEFAULT_BLOCK_INTERVAL_MINUTES,
      };
    };
    return {
      // Through the chain, not a subscription: a whale published right after the stats uses them,
      // and a position published right after a whale finds it annotated.
      observe(e) {
        if (e.type === 'mempool.stats') {
          stats = e.data;
          receivedAt = ctx.now();
          return;
        }
        const update = followers.observe(e, context);
        if (update) ctx.bus.publish('whale.updated', update);
      },
      annotate(tx) {
        const { stats: now, stale, interval } = context();
        const urgency = urgencyOf(tx, now, stale);
        followers.annotated(tx.txid, tx, urgency);
        return { urgency, eta: etaOf(urgency.predictedBlocks, interval) };
      },
    };
  },
});
