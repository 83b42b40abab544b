import { Type } from '@sinclair/typebox';
import {
  type Envelope,
  parseDuration,
  defineJob,
  Duration,
  COLLECTIONS,
  createLru,
} from '../../../src/index.js';
import { etaOf, type Outcome, type Prediction } from './eta.js';
import { confirmed, dropped, replaced, settleBlock, type Settlement, type SettleRules } from './settle.js';
import { createRecentBlocks } from './recent-blocks.js';

interface ChainState {
  height: number | null;
}

/**
 * `correlation`: remembers every whale as a prediction (predicted blocks, urgency, ETA, chain tip
 * at detection) and settles it: confirmed when its txid is in a `block.connected`, replaced on
 * `tx.replaced`, dropped on `tx.removed` or when still unconfirmed after `dropAfter` (by the
 * wall clock, checked every `checkEvery`, and by block time against the transaction's first-seen
 * time, so a simulated or replayed feed settles on its own clock). Emits
 * `whale.confirmed|replaced|dropped` and stores each outcome with its score. `minutesWaited` is
 * measured on the feed's clock (block time − first seen, see `waitedExactMinutes`); a confirmed
 * whale with an ETA is scored against it on the unrounded wait (`etaErrorMinutes`,
 * `withinEtaRange`; see eta.ts). Settling itself is pure, in settle.ts.
 *
 * Predictions are flushed to the store before the next event is handled, so they survive a
 * crash; an outcome is recorded once (a txid with an outcome is never settled again). When
 * blocks were missed (Spout was down: the next block is more than one above the last seen),
 * the pending predictions may have confirmed unseen: they are settled by any later block that
 * holds them, stay pending if the input sees them in the mempool again, and are otherwise
 * marked `unknown` after `unknownAfterBlocks` blocks — never left pending for ever.
 */
export default defineJob({
  name: 'correlation',
  description: 'Settles each whale as confirmed, replaced or dropped, and scores the prediction.',
  options: Type.Object({
    dropAfter: Duration({
      default: '72h',
      description: 'A whale still unconfirmed after this long is dropped.',
    }),
    unknownAfterBlocks: Type.Integer({
      minimum: 1,
      default: 6,
      description: 'After missed blocks, how many more blocks before an unseen whale is marked unknown.',
    }),
    checkEvery: Duration({ default: '1m', description: 'How often dropAfter is checked.' }),
  }),
  consumes: ['whale.detected', 'block.connected', 'tx.replaced', 'tx.removed', 'tx.seen'],
  emits: ['whale.confirmed', 'whale.replaced', 'whale.dropped'],
  setup(ctx) {
    const predictions = ctx.store.collection<Prediction>(COLLECTIONS.predictions);
    const outcomes = ctx.store.collection<Outcome>(COLLECTIONS.outcomes);
    const states = ctx.store.collection<ChainState>(COLLECTIONS.jobState);
    const chain: ChainState = { height: states.get(ctx.instance)?.height ?? null };
    const dropAfterMs = parseDuration(ctx.options.dropAfter);
    // The detector chain is asynchronous: a block, replacement or removal can reach this job
    // before the whale.detected it settles. Recent chain facts are kept to settle late arrivals.
    const recentlyMined = createRecentBlocks(50_000);
    const recentlyReplaced = createLru<string, { byTxid: string; fullRbf: boolean; at: string }>(10_000);
    const recentlyRemoved = createLru<string, { reason: string; at: string }>(10_000);

    const rules: SettleRules = {
      dropAfter: ctx.options.dropAfter,
      dropAfterMs,
      unknownAfterBlocks: ctx.options.unknownAfterBlocks,
    };

    const apply = ({ outcome, event }: Settlement) => {
      predictions.delete(outcome.txid);
      outcomes.put(outcome.txid, outcome);
      if (event) ctx.bus.publish(event.type, event.data);
    };

    const onDetected = (e: Envelope<'whale.detected'>) => {
      const w = e.data;
      if (predictions.has(w.txid) || outcomes.has(w.txid)) return;
      const eta = etaOf(w.eta);
      predictions.put(w.txid, {
        txid: w.txid,
        detectedAt: w.detectedAt,
        firstSeen: w.firstSeen,
        valueSats: w.valueSats,
        feeRate: w.feeRate,
        predictedBlocks: w.urgency?.predictedBlocks ?? null,
        urgencyLevel: w.urgency?.level ?? null,
        ...(eta ? { eta } : {}),
        tipHeight: chain.height,
        tipTime: null,
      });
      settleLate(w.txid);
    };

    const settleLate = (txid: string) => {
      const p = predictions.get(txid);
      if (!p) return;
      const mined = recentlyMined.get(txid);
      if (mined)
        return apply(
          confirmed({ ...p, tipHeight: mined.height - 1 }, mined.height, mined.at, mined.blockTime),
        );
      const replacedBy = recentlyReplaced.get(txid);
      if (replacedBy) return apply(replaced(p, replacedBy.byTxid, replacedBy.fullRbf, replacedBy.at));
      const removed = recentlyRemoved.get(txid);
      if (removed) apply(dropped(p, removed.at, `removed from the mempool (${removed.reason})`));
    };

    const onBlock = (e: Envelope<'block.connected'>) => {
      recentlyMined.add({ height: e.data.height, at: e.time, blockTime: e.data.time }, e.data.txids);
      const pending = Array.from(predictions.entries(), ([, p]) => p);
      const result = settleBlock(pending, { ...e.data, arrivedAt: e.time }, chain.height, rules);
      if (result.missed) {
        const { from, to, uncertain } = result.missed;
        ctx.log.warn(
          { from, to },
          `blocks ${from}–${to} were missed: ${uncertain} pending whale(s) may have confirmed unseen`,
        );
      }
      for (const p of result.updated) predictions.put(p.txid, p);
      for (const settlement of result.settled) {
        apply(settlement);
        if (settlement.outcome.status === 'unknown')
          ctx.log.info({ txid: settlement.outcome.txid }, 'outcome unknown: not seen since missed blocks');
      }
      if (result.tip !== chain.height) {
        chain.height = result.tip;
        states.put(ctx.instance, { height: result.tip });
      }
    };

    const onReplaced = (e: Envelope<'tx.replaced'>) => {
      recentlyReplaced.set(e.data.txid, { byTxid: e.data.byTxid, fullRbf: e.data.fullRbf, at: e.time });
      const p = predictions.get(e.data.txid);
      if (p) apply(replaced(p, e.data.byTxid, e.data.fullRbf, e.time));
    };

    // Only transactions it predicted (admitted whales) are of use here: no floor of its own, so
    // the detectors' floors decide what the input may skip.
    ctx.memory.declareFloor(Number.POSITIVE_INFINITY);
    ctx.bus.subscribe(
      ['whale.detected', 'block.connected', 'tx.replaced', 'tx.removed', 'tx.seen'],
      async (e) => {
        switch (e.type) {
          case 'whale.detected':
            onDetected(e);
            break;
          case 'block.connected':
            onBlock(e);
            break;
          case 'tx.replaced':
            onReplaced(e);
            break;
          case 'tx.removed': {
            recentlyRemoved.set(e.data.txid, { reason: e.data.reason, at: e.time });
            const p = predictions.get(e.data.txid);
            if (p) apply(dropped(p, e.time, `removed from the mempool (${e.data.reason})`));
            break;
          }
          case 'tx.seen': {
            // Seen in the mempool again after missed blocks: it did not confirm unseen.
            const p = predictions.get(e.data.txid);
            if (p?.uncertainSince !== undefined) {
              const { uncertainSince: _, ...still } = p;
              predictions.put(p.txid, still);
            }
            return;
          }
        }
        // Predictions and outcomes are on disk before the next event: a crash loses none.
        await ctx.store.flush();
      },
      // Of the firehose, only the transactions it predicts for: a prediction made after a tx.seen
      // was published is still new (not uncertain) when that tx.seen comes, so it would do nothing.
      { where: (e) => e.type !== 'tx.seen' || predictions.has(e.data.txid) },
    );

    ctx.scheduler.every(parseDuration(ctx.options.checkEvery), async () => {
      const now = ctx.now();
      const expired = Array.from(predictions.entries(), ([, p]) => p).filter(
        (p) => now - Date.parse(p.detectedAt) >= dropAfterMs,
      );
      for (const p of expired)
        apply(dropped(p, new Date(now).toISOString(), `not confirmed within ${ctx.options.dropAfter}`));
      if (expired.length > 0) await ctx.store.flush();
    });
    ctx.onStop(() => ctx.store.flush());
  },
});
