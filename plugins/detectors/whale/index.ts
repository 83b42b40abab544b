import { Type } from '@sinclair/typebox';
import { type WhaleSignal, defineDetector, StringEnum } from '../../../src/index.js';
import { analyzeChange } from './change.js';

/**
 * `whale`: admits a transaction whose amount is strictly greater than `thresholdBtc` (exactly the
 * threshold is not a whale), and, when `minUsd` is set, worth at least `minUsd` at the input's
 * latest USD price. The amount is the total output value (`thresholdOn: total`, the default) or
 * the transferred value, the total minus the likely change output (`thresholdOn: transferred`,
 * see `analyzeChange`; `minUsd` then compares the transferred value too). Every signal carries
 * `transferredSats` and the `changeRule` that decided it, whichever amount was compared;
 * `valueSats`, `valueBtc` and `valueUsd` stay the total. The change analysis runs only for a
 * transaction whose total passes `thresholdBtc`, so its cost is paid by candidates alone.
 *
 * With no price known yet, `valueUsd` is null and `minUsd` cannot apply: the whale is admitted on
 * its BTC value, and the instance reports it (health degraded with the reason, one log line)
 * instead of passing it silently.
 */
export default defineDetector({
  name: 'whale',
  description:
    'Admits transactions moving more than thresholdBtc (sum of all outputs, or without the likely change).',
  options: Type.Object({
    thresholdBtc: Type.Number({
      minimum: 0,
      default: 100,
      description: 'Whale iff the amount compared (see thresholdOn) > this many BTC.',
    }),
    thresholdOn: StringEnum(['total', 'transferred'], {
      default: 'total',
      description:
        'total: the sum of all outputs; transferred: that sum minus the likely change output (minUsd too).',
    }),
    minUsd: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'Also require at least this USD value (needs a price from the input).',
      }),
    ),
    explorer: Type.String({
      pattern: '^https?://',
      default: 'https://mempool.space/tx/',
      description: 'Link prefix for the transaction page.',
    }),
  }),
  consumes: ['tx.seen', 'mempool.stats'],
  admits: true,
  setup(ctx) {
    // Integer satoshis: no floating-point doubt at the boundary (100.00000001 BTC is a whale at 100).
    const threshold = Math.round(ctx.options.thresholdBtc * 1e8);
    // Whatever the compared amount, a transaction moving at most the threshold in total is no whale.
    ctx.memory.declareFloor(threshold);
    const minUsd = ctx.options.minUsd;
    const onTransferred = ctx.options.thresholdOn === 'transferred';
    let usdPrice: number | null = null;
    let reported = false;
    const usdOf = (sats: number) =>
      usdPrice === null ? null : Math.round((sats / 1e8) * usdPrice * 100) / 100;
    const notApplicable = () => {
      if (reported) return;
      reported = true;
      const reason = `minUsd ${minUsd} not applicable: no USD price from the input yet; whales are admitted on thresholdBtc alone`;
      ctx.health.set('degraded', reason);
      ctx.log.warn(reason);
    };
    return {
      // Through the chain, not a subscription: a whale published right after a price uses it.
      observe(e) {
        if (e.type !== 'mempool.stats' || e.data.usdPrice === undefined) return;
        usdPrice = e.data.usdPrice;
        if (usdPrice !== null && reported) {
          reported = false;
          ctx.health.set('healthy');
          ctx.log.info({ usdPrice }, 'USD price known: minUsd applies again');
        }
      },
      admit(tx): WhaleSignal | null {
        // The transferred amount never exceeds the total: most transactions stop here, in either
        // mode, before any change analysis.
        if (tx.valueSats <= threshold) return null;
        const change = onTransferred ? analyzeChange(tx) : null;
        const compared = change === null ? tx.valueSats : change.transferredSats;
        if (compared <= threshold) return null;
        const valueUsd = usdOf(tx.valueSats);
        if (minUsd !== undefined) {
          const comparedUsd = change === null ? valueUsd : usdOf(compared);
          if (comparedUsd === null) notApplicable();
          else if (comparedUsd < minUsd) return null;
        }
        const { transferredSats, changeRule } = change ?? analyzeChange(tx);
        return {
          txid: tx.txid,
          valueSats: tx.valueSats,
          valueBtc: tx.valueSats / 1e8,
          valueUsd,
          transferredSats,
          changeRule,
          feeSats: tx.feeSats,
          vsize: tx.vsize,
          feeRate: Math.round(tx.feeRate * 100) / 100,
          status: 'pending',
          firstSeen: tx.firstSeen,
          // Never before it was first seen: an input on a clock of its own (the simulator's runs
          // `speed`× faster) would otherwise report a whale detected before it existed.
          detectedAt: new Date(Math.max(ctx.now(), Date.parse(tx.firstSeen) || 0)).toISOString(),
          url: ctx.options.explorer + tx.txid,
        };
      },
    };
  },
});
