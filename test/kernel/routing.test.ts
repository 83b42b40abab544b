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
