import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { aggregate } from '../../src/stats/aggregate.js';
import { formatStats } from '../../src/stats/format.js';
import { dayOf, isoWeekOf, monthOf } from '../../src/stats/periods.js';
import { readStoredOutcomes } from '../../src/stats/read.js';
import { parseSince } from '../../src/stats/since.js';
import type { OutcomeRecord } from '../../src/store/records.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const at = (iso: string) => Date.parse(iso);

function outcome(
  detectedAt: string,
  status: OutcomeRecord['status'],
  btc: number,
  extra: Partial<OutcomeRecord> = {},
): OutcomeRecord {
  return {
    txid: `${detectedAt}-${status}`,
    detectedAt,
    settledAt: detectedAt,
    status,
    valueSats: Math.round(btc * 1e8),
    predictedBlocks: 1,
    urgencyLevel: 'high',
    score: null,
    ...extra,
  };
}

/** Hand-checked: Sat 31 Oct and Sun 1 Nov 2026 are in ISO week 44, Mon 2 Nov starts week 45. */
const OUTCOMES: OutcomeRecord[] = [
  outcome('2026-10-31T23:30:00.000Z', 'confirmed', 300, { minutesWaited: 20, score: 0.9 }),
  outcome('2026-11-01T00:10:00.000Z', 'replaced', 150.5, { byTxid: 'b', score: 0.1 }),
  outcome('2026-11-02T12:00:00.000Z', 'dropped', 1000, { reason: 'evicted', score: 0.3 }),
  outcome('2026-11-02T13:00:00.000Z', 'confirmed', 120, { minutesWaited: 10, score: 1 }),
  outcome('2026-11-02T14:00:00.000Z', 'unknown', 100.00000001, { reason: 'missed blocks' }),
  outcome('2026-11-03T10:00:00.001Z', 'confirmed', 5000, { score: 1 }), // after `now`
  outcome('not a date', 'confirmed', 5000, { score: 1 }),
];
const NOW = new Date('2026-11-03T10:00:00.000Z');

const zero = { confirmed: 0, replaced: 0, dropped: 0, unknown: 0 };

describe('calendar periods (UTC)', () => {
  it('labels days, ISO weeks and months, with their bounds', () => {
    expect(dayOf(at('2026-11-21T23:59:59.999Z'))).toEqual({
      label: '2026-11-21',
      start: at('2026-11-21T00:00:00Z'),
      end: at('2026-11-22T00:00:00Z'),
    });
    expect(isoWeekOf(at('2026-11-21T10:00:00Z'))).toEqual({
      label: '2026-W47',
      start: at('2026-11-16T00:00:00Z'),
      end: at('2026-11-23T00:00:00Z'),
    });
    expect(monthOf(at('2026-02-14T10:00:00Z'))).toEqual({
      label: '2026-02',
      start: at('2026-02-01T00:00:00Z'),
      end: at('2026-03-01T00:00:00Z'),
    });
  });

  it('gives a week to the year of its Thursday', () => {
    const week = (iso: string) => isoWeekOf(at(iso)).label;
    expect(week('2027-01-01T00:00:00Z')).toBe('2026-W53'); // Friday
    expect(week('2027-01-04T00:00:00Z')).toBe('2027-W01'); // Monday
    expect(week('2024-12-30T00:00:00Z')).toBe('2025-W01'); // Monday
    expect(week('2021-01-03T23:59:59Z')).toBe('2020-W53'); // Sunday
    expect(week('2026-01-01T00:00:00Z')).toBe('2026-W01'); // Thursday
  });
});

describe('aggregate', () => {
  it('sums each day, ISO week and month by detection time; skips undated and future records', () => {
    const stats = aggregate(OUTCOMES, { now: NOW });
    expect(stats.since).toBeNull();
    expect(stats.now).toBe('2026-11-03T10:00:00.000Z');
    expect(stats.total).toEqual({
      period: 'total',
      from: '2026-10-31T23:30:00.000Z',
      to: '2026-11-03T10:00:00.000Z',
      whales: 5,
      btcMoved: 1670.50000001,
      confirmed: 2,
      replaced: 1,
      dropped: 1,
      unknown: 1,
      meanMinutesToConfirm: 15,
      accuracy: 0.575,
    });
    expect(
      stats.daily.map((b) => [b.period, b.whales, b.btcMoved, b.meanMinutesToConfirm, b.accuracy]),
    ).toEqual([
      ['2026-10-31', 1, 300, 20, 0.9],
      ['2026-11-01', 1, 150.5, null, 0.1],
      ['2026-11-02', 3, 1220.00000001, 10, 0.65],
    ]);
    expect(stats.weekly).toEqual([
      {
        period: '2026-W44',
        from: '2026-10-26T00:00:00.000Z',
        to: '2026-11-02T00:00:00.000Z',
        whales: 2,
        btcMoved: 450.5,
        ...zero,
        confirmed: 1,
        replaced: 1,
        meanMinutesToConfirm: 20,
        accuracy: 0.5,
      },
      {
        period: '2026-W45',
        from: '2026-11-02T00:00:00.000Z',
        to: '2026-11-09T00:00:00.000Z',
        whales: 3,
        btcMoved: 1220.00000001,
        confirmed: 1,
        replaced: 0,
        dropped: 1,
        unknown: 1,
        meanMinutesToConfirm: 10,
        accuracy: 0.65,
      },
    ]);
    expect(stats.monthly.map((b) => [b.period, b.whales, b.from, b.to, b.accuracy])).toEqual([
      ['2026-10', 1, '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', 0.9],
      ['2026-11', 4, '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', 0.4667],
    ]);
  });

  it('counts only whales detected since `since`', () => {
    const since = new Date('2026-11-01T00:00:00.000Z');
    const stats = aggregate(OUTCOMES, { since, now: NOW });
    expect(stats.since).toBe(since.toISOString());
    expect(stats.total).toMatchObject({ from: since.toISOString(), whales: 4, btcMoved: 1370.50000001 });
    expect(stats.daily.map((b) => b.period)).toEqual(['2026-11-01', '2026-11-02']);
    expect(stats.monthly.map((b) => b.period)).toEqual(['2026-11']);
  });

  it('reports nulls, not zeros, for means with nothing to average', () => {
    const stats = aggregate([], { now: NOW });
    expect(stats.total).toMatchObject({ whales: 0, btcMoved: 0, meanMinutesToConfirm: null, accuracy: null });
    expect(stats.daily).toEqual([]);
    expect(formatStats(stats, 'data/spout.json')).toContain('No settled whales in this range yet.');
  });
});

describe('stats text', () => {
  it('prints the total, monthly, weekly and daily tables with aligned columns', () => {
    const text = formatStats(aggregate(OUTCOMES, { now: NOW }), 'data/spout.json');
    expect(text).toContain(
      'Spout statistics (all stored data, up to 2026-11-03T10:00:00.000Z) from data/spout.json',
    );
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('period')) ?? '';
    expect(header.split(/\s{2,}/)).toEqual([
      'period',
      'whales',
      'BTC',
      'confirmed',
      'replaced',
      'dropped',
      'unknown',
      'min to confirm',
      'accuracy',
    ]);
    expect(lines.find((l) => l.startsWith('total'))?.split(/\s+/)).toEqual([
      'total',
      '5',
      '1,670.50',
      '2',
      '1',
      '1',
      '1',
      '15.0',
      '57.5%',
    ]);
    expect(lines.find((l) => l.startsWith('2026-11-01'))).toMatch(/–\s+10\.0%$/);
    for (const title of ['Total', 'Monthly', 'Weekly (ISO weeks, UTC)', 'Daily (UTC)'])
      expect(lines).toContain(title);
  });
});

describe('--since', () => {
  const now = new Date('2026-11-21T10:00:00.000Z');
  it('takes an ISO date or a duration with a unit', () => {
    expect(parseSince('30d', now)?.toISOString()).toBe('2026-10-22T10:00:00.000Z');
    expect(parseSince('12h', now)?.toISOString()).toBe('2026-11-20T22:00:00.000Z');
    expect(parseSince('2026-11-01', now)?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseSince('2026-11-01T08:30:00Z', now)?.toISOString()).toBe('2026-11-01T08:30:00.000Z');
  });
  it('refuses anything else, including a bare number', () => {
    for (const text of ['30', 'yesterday', '2026-13-45', '', '-5d'])
      expect(parseSince(text, now), text).toBeNull();
  });
});

describe('reading the store file', () => {
  const file = async (name: string, text?: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-stats-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, name);
    if (text !== undefined) await writeFile(path, text);
    return path;
  };

  it('reads the outcomes collection; a missing file or collection is no data', async () => {
    const o = OUTCOMES[0] as OutcomeRecord;
    const path = await file(
      'spout.json',
      JSON.stringify({
        spout: 1,
        collections: { outcomes: { [o.txid]: o, junk: { nope: 1 } }, predictions: {} },
      }),
    );
    expect(await readStoredOutcomes(path)).toEqual([o]);
    expect(await readStoredOutcomes(await file('absent.json'))).toEqual([]);
    expect(await readStoredOutcomes(await file('empty.json', '{"spout":1,"collections":{}}'))).toEqual([]);
  });

  it('refuses a file that is not Spout data', async () => {
    await expect(readStoredOutcomes(await file('bad.json', '{'))).rejects.toMatchObject({
      code: 'SPOUT_STORE_CORRUPT',
    });
    await expect(readStoredOutcomes(await file('other.json', '{"users":[]}'))).rejects.toMatchObject({
      code: 'SPOUT_STORE_CORRUPT',
    });
  });
});
