import { describe, expect, it } from 'vitest';
import {
  confirmed,
  dropped,
  replaced,
  settleBlock,
  type ArrivedBlock,
  type SettleRules,
} from '../../../plugins/jobs/correlation/settle.js';
import { etaOf, scoreEta, type Prediction } from '../../../plugins/jobs/correlation/eta.js';
import type { Eta } from '../../../src/bus/events.js';

// Fixed times: only distances between them matter, never today's date.
const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();

const rules: SettleRules = { dropAfter: '72h', dropAfterMs: 72 * 60 * MIN, unknownAfterBlocks: 6 };

function prediction(txid: string, extra: Partial<Prediction> = {}): Prediction {
  return {
    txid,
    detectedAt: at(0),
    firstSeen: at(0),
    valueSats: 500e8,
    feeRate: 10,
    predictedBlocks: 2,
    urgencyLevel: 'medium',
    tipHeight: 100,
    tipTime: null,
    ...extra,
  };
}

/** Block `height` mined `minutes` after T0 on the feed's clock, arriving 30 s later. */
const block = (height: number, minutes: number, txids: string[] = []): ArrivedBlock => ({
  height,
  time: at(minutes),
  txids,
  arrivedAt: at(minutes + 0.5),
});

describe('settleBlock', () => {
  it('confirms a mined prediction: blocks from the tip at detection, minutes on the feed clock, score and event', () => {
    const p = prediction('a');
    const result = settleBlock([p, prediction('b')], block(102, 21, ['a']), 101, rules);
    expect(result).toEqual({
      updated: [],
      settled: [
        {
          outcome: {
            txid: 'a',
            detectedAt: at(0),
            settledAt: at(21.5),
            valueSats: 500e8,
            predictedBlocks: 2,
            urgencyLevel: 'medium',
            status: 'confirmed',
            height: 102,
            blocksWaited: 2,
            minutesWaited: 21,
            etaErrorMinutes: null, // no ETA at detection
            withinEtaRange: null,
            score: 1, // timing within one block of the prediction, medium matches two blocks
          },
          event: {
            type: 'whale.confirmed',
            data: {
              txid: 'a',
              height: 102,
              blocksWaited: 2,
              minutesWaited: 21,
              predictedBlocks: 2,
              score: 1,
              etaErrorMinutes: null,
              withinEtaRange: null,
            },
          },
        },
      ],
      tip: 102,
    });
  });

  it('without a tip at detection: mined counts as one block; unmined takes this block’s parent as its tip', () => {
    const result = settleBlock(
      [prediction('a', { tipHeight: null }), prediction('b', { tipHeight: null })],
      block(100, 10, ['a']),
      null,
      rules,
    );
    expect(result.settled.map((s) => [s.outcome.txid, s.outcome.blocksWaited])).toEqual([['a', 1]]);
    expect(result.updated).toEqual([prediction('b', { tipHeight: 99 })]);
    expect(result.tip).toBe(100);
  });

  it('drops one first seen dropAfter or more before the block’s time, judged on the feed clock', () => {
    const old = prediction('old', { firstSeen: at(-72 * 60) }); // exactly dropAfter
    const young = prediction('young', { firstSeen: at(-72 * 60 + 0.001) });
    const result = settleBlock([old, young], block(101, 0), 100, rules);
    expect(result.settled).toEqual([
      {
        outcome: expect.objectContaining({
          txid: 'old',
          status: 'dropped',
          reason: 'not confirmed within 72h',
          score: 0.3,
          settledAt: at(0.5),
        }),
        event: { type: 'whale.dropped', data: { txid: 'old', reason: 'not confirmed within 72h' } },
      },
    ]);
    expect(result.updated).toEqual([]);
  });

  it('a mined prediction is confirmed even past dropAfter', () => {
    const p = prediction('a', { firstSeen: at(-100 * 60) });
    expect(settleBlock([p], block(101, 0, ['a']), 100, rules).settled[0]?.outcome.status).toBe('confirmed');
  });

  it('after missed blocks marks the pending predictions uncertain since the first missed height', () => {
    const already = prediction('already', { uncertainSince: 90 });
    const result = settleBlock([prediction('a'), already, prediction('b')], block(104, 40), 100, rules);
    expect(result.missed).toEqual({ from: 101, to: 103, uncertain: 2 });
    expect(result.updated).toEqual([
      prediction('a', { uncertainSince: 101 }),
      prediction('b', { uncertainSince: 101 }),
    ]);
    // Uncertain since 90: 14 blocks ago, past unknownAfterBlocks.
    expect(result.settled).toEqual([
      {
        outcome: {
          txid: 'already',
          detectedAt: at(0),
          settledAt: at(40.5),
          valueSats: 500e8,
          predictedBlocks: 2,
          urgencyLevel: 'medium',
          status: 'unknown',
          reason: 'Spout missed blocks while it was down; this whale was not seen again',
          score: null,
        },
      },
    ]);
  });

  it('settles an uncertain prediction as unknown unknownAfterBlocks after the gap, unless a block holds it', () => {
    const uncertain = [prediction('a', { uncertainSince: 101 }), prediction('b', { uncertainSince: 101 })];
    const before = settleBlock(uncertain, block(106, 60), 105, rules);
    expect(before).toEqual({ updated: [], settled: [], tip: 106 });

    const after = settleBlock(uncertain, block(107, 70, ['b']), 106, rules);
    expect(after.settled.map((s) => [s.outcome.txid, s.outcome.status, s.event?.type])).toEqual([
      ['a', 'unknown', undefined],
      ['b', 'confirmed', 'whale.confirmed'],
    ]);
  });

  it('a gap of unknownAfterBlocks or more makes a prediction unknown with the same block', () => {
    const result = settleBlock([prediction('a')], block(110, 90), 100, rules);
    expect(result.missed).toEqual({ from: 101, to: 109, uncertain: 1 });
    expect(result.updated).toEqual([]);
    expect(result.settled.map((s) => s.outcome.status)).toEqual(['unknown']);
  });

  it('keeps the higher tip for an older block and reports no gap before the first block', () => {
    expect(settleBlock([prediction('a')], block(99, 0), 105, rules)).toEqual({
      updated: [],
      settled: [],
      tip: 105,
    });
    expect(settleBlock([prediction('a')], block(500, 0), null, rules).missed).toBeUndefined();
  });

  it('settles in the order the predictions were pending', () => {
    const result = settleBlock(
      [prediction('c'), prediction('a'), prediction('b')],
      block(101, 10, ['a', 'b', 'c']),
      100,
      rules,
    );
    expect(result.settled.map((s) => s.outcome.txid)).toEqual(['c', 'a', 'b']);
  });
});

describe('single settlements', () => {
  it('replaced: the replacement, a fixed score and whale.replaced', () => {
    expect(replaced(prediction('a'), 'b', true, at(5))).toEqual({
      outcome: expect.objectContaining({
        txid: 'a',
        status: 'replaced',
        byTxid: 'b',
        score: 0.1,
        settledAt: at(5),
      }),
      event: { type: 'whale.replaced', data: { txid: 'a', byTxid: 'b', fullRbf: true } },
    });
  });

  it('dropped: the reason, a fixed score and whale.dropped', () => {
    const reason = 'removed from the mempool (evicted)';
    expect(dropped(prediction('a'), at(5), reason)).toEqual({
      outcome: expect.objectContaining({ txid: 'a', status: 'dropped', reason, score: 0.3 }),
      event: { type: 'whale.dropped', data: { txid: 'a', reason } },
    });
  });
});

describe('ETA scoring of a confirmed whale', () => {
  // Two blocks at 10 minutes: the Gamma(2) quantiles, as the urgency detector gives them.
  const eta: Eta = { blocks: 2, p10Minutes: 5.32, p50Minutes: 16.78, p90Minutes: 38.9 };
  const withEta = (extra: Partial<Prediction> = {}) => prediction('a', { eta, ...extra });
  /** Mined `minutes` after firstSeen (T0) on the feed's clock. */
  const minedAfter = (minutes: number, p = withEta()) => confirmed(p, 102, at(minutes + 0.5), at(minutes));

  it('in range: the error against the median on the unrounded wait, in the outcome and the event', () => {
    const s = minedAfter(21.25);
    expect(s.outcome).toMatchObject({
      status: 'confirmed',
      minutesWaited: 21,
      eta,
      etaErrorMinutes: 4.47, // 21.25 − 16.78; the rounded 21 would give 4.22
      withinEtaRange: true,
    });
    expect(s.event).toEqual({
      type: 'whale.confirmed',
      data: {
        txid: 'a',
        height: 102,
        blocksWaited: 2,
        minutesWaited: 21,
        predictedBlocks: 2,
        score: 1,
        etaErrorMinutes: 4.47,
        withinEtaRange: true,
      },
    });
  });

  it('out of range, late or early: positive when later than predicted, negative when earlier', () => {
    expect(minedAfter(45).event?.data).toMatchObject({ etaErrorMinutes: 28.22, withinEtaRange: false });
    expect(minedAfter(3).event?.data).toMatchObject({ etaErrorMinutes: -13.78, withinEtaRange: false });
    expect(minedAfter(3).outcome).toMatchObject({ etaErrorMinutes: -13.78, withinEtaRange: false });
  });

  it('judges the range on the unrounded wait, bounds included', () => {
    const tight = withEta({ eta: { blocks: 2, p10Minutes: 10, p50Minutes: 15, p90Minutes: 20.8 } });
    // 20.6 minutes rounds to 21, past p90, yet it confirmed within the range.
    expect(minedAfter(20.6, tight).event?.data).toMatchObject({ minutesWaited: 21, withinEtaRange: true });
    expect(minedAfter(20.8, tight).outcome.withinEtaRange).toBe(true);
    expect(minedAfter(10, tight).outcome.withinEtaRange).toBe(true);
    expect(minedAfter(9.9, tight).outcome.withinEtaRange).toBe(false);
    expect(minedAfter(15, tight).outcome.etaErrorMinutes).toBe(0);
    expect(Object.is(scoreEta(tight.eta, 14.999).etaErrorMinutes, 0)).toBe(true); // never -0
  });

  it('no ETA at detection → null figures and no eta on the outcome', () => {
    const s = minedAfter(21.25, prediction('a'));
    expect(s.event?.data).toMatchObject({ etaErrorMinutes: null, withinEtaRange: null });
    expect(s.outcome).toMatchObject({ etaErrorMinutes: null, withinEtaRange: null });
    expect(s.outcome).not.toHaveProperty('eta');
  });

  it('replaced and dropped keep what was predicted, with no ETA figures', () => {
    for (const s of [replaced(withEta(), 'b', false, at(5)), dropped(withEta(), at(5), 'evicted')]) {
      expect(s.outcome.eta).toEqual(eta);
      expect(s.outcome).not.toHaveProperty('etaErrorMinutes');
      expect(s.outcome).not.toHaveProperty('withinEtaRange');
    }
  });

  it('settleBlock scores the ETA of a prediction mined in the block', () => {
    const result = settleBlock([withEta()], block(102, 40, ['a']), 101, rules);
    expect(result.settled[0]?.event?.data).toMatchObject({ etaErrorMinutes: 23.22, withinEtaRange: false });
  });

  it('takes a signal’s ETA only when every figure is a finite number in order', () => {
    expect(etaOf({ ...eta, extra: 1 })).toEqual(eta);
    for (const bad of [
      undefined,
      null,
      'soon',
      { ...eta, p50Minutes: undefined },
      { ...eta, p90Minutes: Number.NaN },
      { ...eta, p10Minutes: '5' },
      { ...eta, p10Minutes: 20 }, // p10 above p50
    ])
      expect(etaOf(bad), JSON.stringify(bad)).toBeUndefined();
  });
});
