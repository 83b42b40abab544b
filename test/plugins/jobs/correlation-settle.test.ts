import { describe, expect, it } from 'vitest';
import {
  dropped,
  replaced,
  settleBlock,
  type ArrivedBlock,
  type SettleRules,
} from '../../../plugins/jobs/correlation/settle.js';
import type { PredictionRecord } from '../../../src/store/records.js';

// Fixed times: only distances between them matter, never today's date.
const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();

const rules: SettleRules = { dropAfter: '72h', dropAfterMs: 72 * 60 * MIN, unknownAfterBlocks: 6 };

function prediction(txid: string, extra: Partial<PredictionRecord> = {}): PredictionRecord {
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
            score: 1, // timing within one block of the prediction, medium matches two blocks
          },
          event: {
            type: 'whale.confirmed',
            data: { txid: 'a', height: 102, blocksWaited: 2, minutesWaited: 21, predictedBlocks: 2 },
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
