import { Type } from '@sinclair/typebox';
import { type MempoolStats, parseDuration, defineDetector, Duration } from '../../../src/index.js';
import { urgencyOf } from './score.js';

/**
 * `urgency`: how soon a whale is likely to confirm. Annotates each whale with a score 0–1, a
 * level, the predicted block and the basis used: the live projected blocks of the latest
 * `mempool.stats`, or static fee-rate bands when there are none or they are older than
 * `staleAfter`.
 */
export default defineDetector({
  name: 'urgency',
  description: 'Scores how urgent a whale is and predicts its confirmation block from the projected blocks.',
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
        return { urgency: urgencyOf(tx.feeRate, stats, stale) };
      },
    };
  },
});
