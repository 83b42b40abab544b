import { describe, expect, it } from 'vitest';
import { aggregate } from '../../src/stats/aggregate.js';
import { etaCalibration, type EtaScored } from '../../src/stats/calibration.js';
import { formatStats } from '../../src/stats/format.js';
import type { OutcomeRecord } from '../../src/store/records.js';

// Fixed dates throughout: `now` is given, never today's.
const NOW = new Date('2026-11-03T10:00:00.000Z');

function outcome(
  detectedAt: string,
  status: OutcomeRecord['status'],
  extra: Partial<OutcomeRecord> & EtaScored = {},
): OutcomeRecord & EtaScored {
  return {
    txid: `${detectedAt}-${status}`,
    detectedAt,
    settledAt: detectedAt,
    status,
    valueSats: 200e8,
    predictedBlocks: 1,
    urgencyLevel: 'high',
    score: null,
    ...extra,
  };
}

describe('ETA calibration', () => {
  /** A confirmed whale detected at `detectedAt`, scored against its ETA (null: it had none). */
  const scored = (
    detectedAt: string,
    etaErrorMinutes: number | null,
    withinEtaRange: boolean | null,
  ): OutcomeRecord & EtaScored =>
    outcome(detectedAt, 'confirmed', { minutesWaited: 20, score: 1, etaErrorMinutes, withinEtaRange });
  // Five with an ETA in the range (four within it), one without, one stored before ETAs were
  // scored, one not confirmed, one detected before `since` and one after `now`.
  const ETA_OUTCOMES = [
    scored('2026-11-02T01:00:00.000Z', -4.28, true),
    scored('2026-11-02T02:00:00.000Z', 33.22, false),
    scored('2026-11-02T03:00:00.000Z', 1.5, true),
    scored('2026-11-02T04:00:00.000Z', -12, true),
    scored('2026-11-02T05:00:00.000Z', 7, true),
    scored('2026-11-02T06:00:00.000Z', null, null),
    outcome('2026-11-02T07:00:00.000Z', 'confirmed', { minutesWaited: 20, score: 1 }),
    outcome('2026-11-02T08:00:00.000Z', 'dropped', {
      score: 0.3,
      etaErrorMinutes: 99,
      withinEtaRange: false,
    }),
    scored('2026-10-31T23:00:00.000Z', 100, false),
    scored('2026-11-03T10:00:00.001Z', 100, false),
  ];
  const SINCE = new Date('2026-11-01T00:00:00.000Z');

  it('counts confirmed whales with an ETA, the share within 10–90% and the median absolute error', () => {
    const stats = aggregate(ETA_OUTCOMES, { since: SINCE, now: NOW });
    // |errors| 1.5, 4.28, 7, 12, 33.22: the median is 7.
    expect(stats.etaCalibration).toEqual({
      confirmedWithEta: 5,
      withinRange: 4,
      withinRangeShare: 0.8,
      medianAbsErrorMinutes: 7,
    });
    // The other figures are unchanged by it.
    expect(stats.total).toMatchObject({ whales: 8, confirmed: 7, dropped: 1 });
    expect(Object.keys(stats.total)).toEqual(Object.keys(aggregate([], { now: NOW }).total));
  });

  it('averages the middle two for an even count; rounds; nulls with no ETA in the range', () => {
    expect(etaCalibration(ETA_OUTCOMES.slice(0, 4))).toEqual({
      confirmedWithEta: 4,
      withinRange: 3,
      withinRangeShare: 0.75,
      medianAbsErrorMinutes: 8.14, // (4.28 + 12) / 2
    });
    expect(etaCalibration(ETA_OUTCOMES.slice(0, 3))).toMatchObject({ withinRangeShare: 0.6667 });
    const withoutEta = ETA_OUTCOMES.slice(5, 8); // none, unscored, dropped
    expect(aggregate(withoutEta, { now: NOW }).etaCalibration).toEqual({
      confirmedWithEta: 0,
      withinRange: 0,
      withinRangeShare: null,
      medianAbsErrorMinutes: null,
    });
  });

  it('prints a section after the total', () => {
    const text = formatStats(aggregate(ETA_OUTCOMES, { since: SINCE, now: NOW }), 'data/spout.json');
    const lines = text.split('\n');
    const at = lines.indexOf('ETA calibration (confirmed whales with an ETA)');
    expect(at).toBeGreaterThan(lines.indexOf('Total'));
    expect(at).toBeLessThan(lines.indexOf('Monthly'));
    expect(lines.slice(at + 1, at + 4).map((l) => l.split(/\s{2,}/))).toEqual([
      ['with an ETA', '5'],
      ['within the 10–90% range', '4 (80.0%; about 80% when the ETA is honest)'],
      ['median ETA error (absolute)', '7.0 min'],
    ]);
    expect(formatStats(aggregate(ETA_OUTCOMES.slice(5, 8), { now: NOW }), 'data/spout.json')).toContain(
      'ETA calibration (confirmed whales with an ETA)\nNo confirmed whale in this range had an ETA (the urgency detector adds one).\n',
    );
  });
});
