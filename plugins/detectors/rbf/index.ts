import { Type } from '@sinclair/typebox';
import { createLru, defineDetector } from '../../../src/index.js';

/**
 * `rbf`: replace-by-fee. Annotates each whale with whether it signals RBF (BIP 125: an input
 * sequence below 0xfffffffe), the transactions it replaced, and a confidence that it confirms as
 * seen (lower when it signals, since it can be replaced freely). When a whale it saw detected is
 * itself replaced, it can publish `whale.replaced` (`emitReplaced`, off by default: the
 * correlation job owns that event; turn it on only in setups without correlation).
 */
export default defineDetector({
  name: 'rbf',
  description: 'RBF signalling, replaced transactions and replacement of detected whales.',
  options: Type.Object({
    memory: Type.Integer({
      minimum: 100,
      default: 20_000,
      description: 'Replacements and whales remembered (LRU).',
    }),
    emitReplaced: Type.Boolean({
      default: false,
      description:
        'Publish whale.replaced when a detected whale is replaced (the correlation job does; only for setups without it).',
    }),
    signalingConfidence: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.6,
      description: 'Confidence for a whale that signals RBF.',
    }),
    finalConfidence: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.95,
      description: 'Confidence for one that does not (full RBF can still replace it).',
    }),
  }),
  consumes: ['tx.replaced'],
  emits: ['whale.replaced'],
  setup(ctx) {
    const o = ctx.options;
    const replacedBy = createLru<string, string[]>(o.memory);
    const whales = createLru<string, true>(o.memory);
    // State comes through the chain (observe, annotate), in publication order with tx.seen: a
    // replacement published right after its tx.replaced must find the txid it replaces.
    return {
      observe(e) {
        if (e.type !== 'tx.replaced') return;
        const { txid, byTxid, fullRbf } = e.data;
        replacedBy.set(byTxid, [...(replacedBy.get(byTxid) ?? []), txid]);
        if (o.emitReplaced && whales.has(txid)) {
          whales.delete(txid);
          ctx.bus.publish('whale.replaced', { txid, byTxid, fullRbf });
        }
      },
      // Called for each admitted whale just before its whale.detected is published.
      annotate(tx) {
        whales.set(tx.txid, true);
        return {
          rbf: {
            signaling: tx.rbfSignaling,
            replaces: replacedBy.get(tx.txid) ?? [],
            confidence: tx.rbfSignaling ? o.signalingConfidence : o.finalConfidence,
          },
        };
      },
    };
  },
});
