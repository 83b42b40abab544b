import { Type } from '@sinclair/typebox';
import type { WhaleSignal } from '../../../src/bus/events.js';
import { defineDetector } from '../../../src/plugin/define.js';

/**
 * `whale`: admits a transaction whose total output value is strictly greater than
 * `thresholdBtc` (exactly the threshold is not a whale). Builds the base whale signal; the other
 * detectors annotate it.
 */
export default defineDetector({
  name: 'whale',
  description: 'Admits transactions moving more than thresholdBtc (sum of all outputs).',
  options: Type.Object({
    thresholdBtc: Type.Number({
      minimum: 0,
      default: 100,
      description: 'Whale iff total output value > this many BTC.',
    }),
    explorer: Type.String({
      pattern: '^https?://',
      default: 'https://mempool.space/tx/',
      description: 'Link prefix for the transaction page.',
    }),
  }),
  consumes: ['tx.seen', 'mempool.stats'],
  emits: ['whale.detected'],
  setup(ctx) {
    // Integer satoshis: no floating-point doubt at the boundary (100.00000001 BTC is a whale at 100).
    const threshold = Math.round(ctx.options.thresholdBtc * 1e8);
    let usdPrice: number | null = null;
    ctx.bus.subscribe('mempool.stats', (e) => {
      if (e.data.usdPrice !== undefined) usdPrice = e.data.usdPrice;
    });
    return {
      admit(tx): WhaleSignal | null {
        if (tx.valueSats <= threshold) return null;
        const valueBtc = tx.valueSats / 1e8;
        return {
          txid: tx.txid,
          valueSats: tx.valueSats,
          valueBtc,
          valueUsd: usdPrice === null ? null : Math.round(valueBtc * usdPrice * 100) / 100,
          feeSats: tx.feeSats,
          vsize: tx.vsize,
          feeRate: Math.round(tx.feeRate * 100) / 100,
          status: 'pending',
          firstSeen: tx.firstSeen,
          detectedAt: new Date().toISOString(),
          url: ctx.options.explorer + tx.txid,
        };
      },
    };
  },
});
