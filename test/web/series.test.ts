/** The dashboard charts' numbers (web/series.js): hour windows, statuses, flows, accuracy days. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error web/ is plain JS bundled for the browser, outside the type-checked sources.
import * as series from '../../web/series.js';

interface Row {
  txid: string;
  at: number;
  status: string;
  whale: Record<string, unknown>;
}
interface Hourly {
  x: number[];
  pending: number[];
  confirmed: number[];
  net: number[];
}
const { accuracySeries, volumeByHour, netFlowByHour } = series as {
  accuracySeries(stats: unknown): {
    x: number[];
    accuracy: Array<number | null>;
    warning: number | null;
    critical: number | null;
  };
  volumeByHour(rows: Row[], now: number, hours?: number): Omit<Hourly, 'net'>;
  netFlowByHour(rows: Row[], now: number, hours?: number): Pick<Hourly, 'x' | 'net'>;
};

const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-21T12:34:56Z');
const THIS_HOUR = Date.parse('2026-11-21T12:00:00Z');

let n = 0;
const row = (at: number, valueBtc: number, status = 'pending', whale: Record<string, unknown> = {}): Row => ({
  txid: `tx${n++}`,
  at,
  status,
  whale: { valueBtc, valueSats: Math.round(valueBtc * 1e8), ...whale },
});
const flow = (type: string) => ({ flow: { type, from: null, to: null } });

describe('volumeByHour', () => {
  it('has every hour of the window, zero-filled, ending with the current hour', () => {
    const v = volumeByHour([], NOW);
    expect(v.x).toHaveLength(24);
    expect(v.x.at(-1)).toBe(THIS_HOUR / 1000);
    expect(v.x[0]).toBe((THIS_HOUR - 23 * HOUR) / 1000);
    expect(v.x.every((t, i) => i === 0 || t - v.x[i - 1]! === 3600)).toBe(true);
    expect(v.pending).toEqual(Array(24).fill(0));
    expect(v.confirmed).toEqual(Array(24).fill(0));
    expect(volumeByHour([], NOW, 6).x).toHaveLength(6);
  });

  it('puts a whale detected exactly at an hour start in that hour', () => {
    const v = volumeByHour([row(THIS_HOUR, 100), row(THIS_HOUR - 1, 7)], NOW);
    expect(v.pending.at(-1)).toBe(100);
    expect(v.pending.at(-2)).toBe(7);
  });

  it('keeps the window: the first hour start in, just before it and after the current hour out', () => {
    const first = THIS_HOUR - 23 * HOUR;
    const v = volumeByHour([row(first, 1), row(first - 1, 2), row(THIS_HOUR + HOUR, 4)], NOW);
    expect(v.pending[0]).toBe(1);
    expect(v.pending.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('counts a whale stamped a little after now (server clock ahead) in the current hour', () => {
    expect(volumeByHour([row(NOW + 5_000, 3)], NOW).pending.at(-1)).toBe(3);
  });

  it('splits pending from confirmed and leaves out replaced, dropped and unknown outcomes', () => {
    const at = THIS_HOUR - 2 * HOUR + 60_000;
    const v = volumeByHour(
      [
        row(at, 100, 'pending'),
        row(at, 250.5, 'confirmed'),
        row(at, 40, 'confirmed'),
        row(at, 1_000, 'replaced'),
        row(at, 2_000, 'dropped'),
        row(at, 3_000, 'unknown'),
      ],
      NOW,
    );
    expect(v.pending.at(-3)).toBe(100);
    expect(v.confirmed.at(-3)).toBeCloseTo(290.5);
    expect([...v.pending, ...v.confirmed].reduce((a, b) => a + b, 0)).toBeCloseTo(390.5);
  });
});

describe('netFlowByHour', () => {
  it('is inflow minus outflow per hour, internal and unknown flows ignored', () => {
    const at = THIS_HOUR + 60_000;
    const f = netFlowByHour(
      [
        row(at, 500, 'pending', flow('inflow')),
        row(at, 200, 'confirmed', flow('outflow')),
        row(at, 9_000, 'confirmed', flow('internal')),
        row(at, 8_000, 'pending', flow('unknown')),
        row(at, 7_000, 'pending'),
        row(THIS_HOUR - HOUR, 50, 'confirmed', flow('outflow')),
      ],
      NOW,
    );
    expect(f.x).toEqual(volumeByHour([], NOW).x);
    expect(f.net.at(-1)).toBe(300);
    expect(f.net.at(-2)).toBe(-50);
    expect(f.net.slice(0, -2)).toEqual(Array(22).fill(0));
  });

  it('counts what was likely transferred when a change rule said so, else the whole value', () => {
    const f = netFlowByHour(
      [
        row(THIS_HOUR, 501, 'pending', { ...flow('inflow'), transferredSats: 1e8 }),
        row(THIS_HOUR, 20, 'pending', { ...flow('inflow'), transferredSats: 20e8 }),
      ],
      NOW,
    );
    expect(f.net.at(-1)).toBe(21);
  });

  it('leaves out replaced, dropped and unknown outcomes', () => {
    const rows = ['replaced', 'dropped', 'unknown'].map((s) => row(THIS_HOUR, 100, s, flow('inflow')));
    expect(netFlowByHour(rows, NOW).net).toEqual(Array(24).fill(0));
  });
});

describe('accuracySeries', () => {
  const day = (period: string, accuracy: number | null) => ({
    period,
    from: `${period}T00:00:00.000Z`,
    to: '',
    whales: 3,
    accuracy,
  });

  it('gives each day start in unix seconds, null for a day without a score or without whales', () => {
    const a = accuracySeries({
      daily: [day('2026-11-18', 0.9), day('2026-11-19', null), day('2026-11-21', 0.75)],
    });
    expect(a.x).toEqual(
      ['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21'].map(
        (d) => Date.parse(`${d}T00:00:00Z`) / 1000,
      ),
    );
    expect(a.accuracy).toEqual([0.9, null, null, 0.75]);
  });

  it('takes the thresholds when the stats have them, null otherwise', () => {
    expect(accuracySeries({ daily: [], thresholds: { warning: 0.8, critical: 0.6 } })).toMatchObject({
      warning: 0.8,
      critical: 0.6,
    });
    expect(accuracySeries({ daily: [], thresholds: null })).toMatchObject({ warning: null, critical: null });
    expect(accuracySeries({ daily: [] })).toMatchObject({ warning: null, critical: null });
  });

  it('is empty without stats', () => {
    expect(accuracySeries(undefined)).toEqual({ x: [], accuracy: [], warning: null, critical: null });
    expect(accuracySeries(null)).toEqual({ x: [], accuracy: [], warning: null, critical: null });
  });
});
