import { describe, expect, it } from 'vitest';
import { createEnvelope } from '../../src/bus/envelope.js';
import type { WhaleSignal } from '../../src/bus/events.js';
import { createFilter, eventMatcher } from '../../src/kernel/routing.js';

const whale = (txid: string, btc: number, score: number): WhaleSignal => ({
  txid,
  valueSats: btc * 1e8,
  valueBtc: btc,
  valueUsd: null,
  feeSats: 0,
  vsize: 200,
  feeRate: 1,
  urgency: { score, level: score > 0.7 ? 'high' : 'low', predictedBlocks: 2, basis: 'static' },
  status: 'pending',
  firstSeen: '2026-11-21T10:00:00.000Z',
  detectedAt: '2026-11-21T10:00:00.010Z',
  url: '',
});

describe('routing', () => {
  it('matches exact types, families and *', () => {
    const m = eventMatcher(['whale.*', 'accuracy.degraded']);
    expect(m('whale.detected')).toBe(true);
    expect(m('whale.dropped')).toBe(true);
    expect(m('accuracy.degraded')).toBe(true);
    expect(m('accuracy.recovered')).toBe(false);
    expect(m('tx.seen')).toBe(false);
    expect(eventMatcher(['*'])('tx.seen')).toBe(true);
    expect(eventMatcher([])('tx.seen')).toBe(false);
  });

  it('filters whales on value and urgency, and settlements follow their whale', () => {
    const pass = createFilter({ minBtc: 500, minUrgency: 0.7 });
    const big = createEnvelope('whale.detected', whale('a', 900, 0.9), 'w');
    const small = createEnvelope('whale.detected', whale('b', 120, 0.9), 'w');
    const lazy = createEnvelope('whale.detected', whale('c', 900, 0.1), 'w');
    expect([big, small, lazy].map(pass)).toEqual([true, false, false]);
    const confirm = (txid: string) =>
      createEnvelope(
        'whale.confirmed',
        { txid, height: 1, blocksWaited: 1, minutesWaited: 5, predictedBlocks: 1 },
        'c',
      );
    expect(pass(confirm('a'))).toBe(true);
    expect(pass(confirm('b'))).toBe(false);
    expect(pass(confirm('unknown-before-restart'))).toBe(true);
    expect(
      pass(
        createEnvelope(
          'accuracy.degraded',
          { accuracy: 0.7, window: '7d', threshold: 0.75, level: 'warning', sample: 40 },
          'a',
        ),
      ),
    ).toBe(true);
  });

  it('filters whales on flow type and on the entity of either side, names compared without case or punctuation', () => {
    const withFlow = (txid: string, flow: WhaleSignal['flow']) =>
      createEnvelope('whale.detected', { ...whale(txid, 500, 0.5), flow }, 'w');
    const inflow = withFlow('in', { type: 'inflow', from: null, to: 'Binance' });
    const outflow = withFlow('out', { type: 'outflow', from: 'Crypto.com', to: null });
    const internal = withFlow('int', { type: 'internal', from: 'OKX', to: 'Binance' });
    const unknown = withFlow('unk', { type: 'unknown', from: null, to: null });
    const bare = createEnvelope('whale.detected', whale('bare', 500, 0.5), 'w');
    const all = [inflow, outflow, internal, unknown, bare];

    expect(all.map(createFilter({ flow: ['inflow', 'internal'] }))).toEqual([
      true,
      false,
      true,
      false,
      false,
    ]);
    expect(all.map(createFilter({ entity: ['binance'] }))).toEqual([true, false, true, false, false]);
    expect(all.map(createFilter({ entity: ['CRYPTOCOM', 'okx'] }))).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
    expect(all.map(createFilter({ entity: ['crypto.com'], flow: ['outflow'] }))).toEqual([
      false,
      true,
      false,
      false,
      false,
    ]);
    // The settlement of a whale follows the decision made for it.
    const pass = createFilter({ entity: ['binance'] });
    all.forEach(pass);
    const dropped = (txid: string) => createEnvelope('whale.dropped', { txid, reason: 'evicted' }, 'c');
    expect([pass(dropped('in')), pass(dropped('out'))]).toEqual([true, false]);
    // So does an update of its prediction (only a pending whale has one).
    const updated = (txid: string) =>
      createEnvelope(
        'whale.updated',
        {
          txid,
          urgency: { score: 0.8, level: 'high', predictedBlocks: 1, basis: 'projected-position' },
          eta: { blocks: 1, p10Minutes: 1.1, p50Minutes: 6.9, p90Minutes: 23 },
        },
        'u',
      );
    expect([pass(updated('in')), pass(updated('out')), pass(updated('unseen'))]).toEqual([true, false, true]);
    expect(createFilter({ status: ['confirmed'] })(updated('in'))).toBe(false);
  });

  it('filters on the status each event stands for', () => {
    const onlyConfirmed = createFilter({ status: ['confirmed'] });
    expect(onlyConfirmed(createEnvelope('whale.detected', whale('a', 900, 0.9), 'w'))).toBe(false);
    expect(
      onlyConfirmed(
        createEnvelope(
          'whale.confirmed',
          { txid: 'a', height: 1, blocksWaited: 1, minutesWaited: 5, predictedBlocks: 1 },
          'c',
        ),
      ),
    ).toBe(true);
    expect(onlyConfirmed(createEnvelope('whale.dropped', { txid: 'a', reason: 'evicted' }, 'c'))).toBe(false);
  });
});
