import { describe, expect, it } from 'vitest';
import type { WhaleResult } from '../../src/backtest/replay.js';
import { buildReport, spread } from '../../src/backtest/report.js';
import { renderReport } from '../../src/backtest/render.js';
import type { Eta, UrgencyLevel } from '../../src/bus/events.js';
import type { OutcomeRecord } from '../../src/store/records.js';

let n = 0;
/** A whale and its outcome as the replay hands them over; `end` null for one still pending. */
function whale(options: {
  feeRate: number;
  level?: UrgencyLevel;
  predicted?: number;
  eta?: Eta;
  end: null | (Partial<OutcomeRecord> & Pick<OutcomeRecord, 'status'>);
}): WhaleResult {
  const txid = (++n).toString(16).padStart(64, '0');
  const urgency = options.level
    ? {
        score: 0.5,
        level: options.level,
        predictedBlocks: options.predicted ?? 1,
        basis: 'test',
        rate: options.feeRate,
      }
    : undefined;
  return {
    signal: {
      txid,
      valueSats: 200e8,
      valueBtc: 200,
      valueUsd: null,
      feeSats: 0,
      vsize: 200,
      feeRate: options.feeRate,
      ...(urgency ? { urgency } : {}),
      ...(options.eta ? { eta: options.eta } : {}),
      status: 'pending',
      firstSeen: '2026-01-01T00:00:00.000Z',
      detectedAt: '2026-01-01T00:00:00.000Z',
      url: `https://mempool.space/tx/${txid}`,
    },
    outcome:
      options.end === null
        ? null
        : {
            txid,
            detectedAt: '2026-01-01T00:00:00.000Z',
            settledAt: '2026-01-01T00:30:00.000Z',
            valueSats: 200e8,
            predictedBlocks: urgency?.predictedBlocks ?? null,
            urgencyLevel: urgency?.level ?? null,
            score: 0.5,
            ...options.end,
          },
  };
}

const ETA: Eta = { blocks: 2, p10Minutes: 5, p50Minutes: 15, p90Minutes: 40 };
const result = (whales: WhaleResult[]) => ({
  files: [],
  events: 1000,
  from: '2026-01-01T00:00:00.000Z',
  to: '2026-01-01T02:00:00.000Z',
  whales,
  failures: 0,
  elapsedMs: 500,
});

describe('backtest report', () => {
  it('counts outcomes and measures predictions over confirmed whales only, ETA ones against their ETA', () => {
    const report = buildReport(
      result([
        // Confirmed: 1 block early, on time, 3 late; waits 10 (in 5–40), 50 (over), 30 (in); one without ETA.
        whale({
          feeRate: 12,
          level: 'high',
          predicted: 2,
          eta: ETA,
          end: { status: 'confirmed', blocksWaited: 1, minutesWaited: 10, score: 1 },
        }),
        whale({
          feeRate: 12,
          level: 'high',
          predicted: 2,
          eta: ETA,
          end: { status: 'confirmed', blocksWaited: 2, minutesWaited: 50, score: 1 },
        }),
        whale({
          feeRate: 3,
          level: 'low',
          predicted: 2,
          eta: ETA,
          end: { status: 'confirmed', blocksWaited: 5, minutesWaited: 30, score: 0.4 },
        }),
        whale({
          feeRate: 60,
          level: 'critical',
          predicted: 1,
          end: { status: 'confirmed', blocksWaited: 1, minutesWaited: 3, score: 1 },
        }),
        whale({ feeRate: 5, level: 'medium', end: { status: 'replaced', score: 0.1 } }),
        whale({ feeRate: 20, end: { status: 'dropped', score: 0.3 } }),
        whale({ feeRate: 49.99, end: { status: 'unknown', score: null } }),
        whale({ feeRate: 0, level: 'low', eta: ETA, end: null }),
      ]),
    );
    expect(report.all).toEqual({
      whales: 8,
      confirmed: 4,
      replaced: 1,
      dropped: 1,
      unknown: 1,
      pending: 1,
      withinOneBlock: { count: 3, of: 4, share: 0.75 },
      withinEtaRange: { count: 2, of: 3, share: 0.6667 },
      confirmedWithoutEta: 1,
      // |1−2|, |2−2|, |5−2|, |1−1| → 0, 0, 1, 3.
      blocksError: { sample: 4, median: 0.5, p90: 3 },
      // |10−15|, |50−15|, |30−15| → 5, 15, 35.
      minutesError: { sample: 3, median: 15, p90: 35 },
      meanScore: round3((1 + 1 + 0.4 + 1 + 0.1 + 0.3) / 6),
      scored: 6,
    });
    expect(report.byUrgency.map((g) => [g.urgency, g.whales, g.confirmed, g.withinOneBlock.count])).toEqual([
      ['low', 2, 1, 0],
      ['medium', 1, 0, 0],
      ['high', 2, 2, 2],
      ['critical', 1, 1, 1],
      ['none', 2, 0, 0],
    ]);
    expect(report.byFeeBand.map((g) => [g.band, g.min, g.max, g.whales])).toEqual([
      ['<5', 0, 5, 2],
      ['5–10', 5, 10, 1],
      ['10–20', 10, 20, 2],
      ['20–50', 20, 50, 2],
      ['≥50', 50, null, 1],
    ]);
    expect(report.eventsPerSecond).toBe(2000);
    expect(report.whales[7]).toMatchObject({ status: 'pending', eta: ETA, blocksWaited: null, score: null });
  });

  it('prints the report for people, with "no ETA" when no confirmed whale had one', () => {
    const text = renderReport(
      buildReport(
        result([
          whale({
            feeRate: 12,
            level: 'high',
            predicted: 2,
            end: { status: 'confirmed', blocksWaited: 2, minutesWaited: 9 },
          }),
          whale({ feeRate: 12, level: 'high', predicted: 2, end: null }),
        ]),
      ),
    );
    expect(text.split('\n').slice(0, 12)).toEqual([
      'Backtest of 1,000 events from 0 recording files, recorded 2026-01-01T00:00:00.000Z → 2026-01-01T02:00:00.000Z',
      '  replayed in 0.5 s (2,000 events/s)',
      '',
      'Whales: 2',
      '  confirmed 1, replaced 0, dropped 0, unknown 0, still pending at the end 1',
      '',
      'Predictions, over the 1 confirmed whale(s):',
      '  confirmed within ±1 block of the prediction  1 of 1 (100.0%)',
      "  actual wait within the ETA's 10–90% range    no ETA (1 confirmed without one)",
      '  error in blocks, |actual − predicted|        median 0 blocks, p90 0 blocks (1 whale)',
      '  error in minutes, |actual − ETA median|      none to measure',
      'Mean accuracy score: 0.500 over 1 settled whale(s)',
    ]);
    expect(text).toMatch(/^ {2}high +2 +1 +0 +0 +1 +1\/1 \(100\.0%\) +– +0\.500$/m);
  });

  it('takes the median of an even sample as the mean of the middle two, p90 by nearest rank', () => {
    expect(spread([4, -1, 3, 2])).toEqual({ sample: 4, median: 2.5, p90: 4 });
    expect(spread(Array.from({ length: 20 }, (_, i) => i + 1))).toMatchObject({ p90: 18 });
    expect(spread([])).toEqual({ sample: 0, median: null, p90: null });
  });
});

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
