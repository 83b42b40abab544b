import type { OutcomeRecord } from '../store/records.js';
import { etaCalibration, type EtaCalibration } from './calibration.js';
import { dayOf, isoWeekOf, monthOf, type Period } from './periods.js';

/** The figures of one period. */
export interface StatsBucket {
  /** `2026-11-21`, `2026-W47`, `2026-11`, or `total`. */
  period: string;
  /** ISO bounds: `from` included, `to` excluded (for `total`: the range asked for). */
  from: string;
  to: string;
  /** Settled whales detected in the period. */
  whales: number;
  /** Sum of their values, in BTC. */
  btcMoved: number;
  confirmed: number;
  replaced: number;
  dropped: number;
  unknown: number;
  /** Mean `minutesWaited` of the confirmed ones (2 decimals); null when none confirmed. */
  meanMinutesToConfirm: number | null;
  /** Mean score of the scored ones (4 decimals); null when none is scored. */
  accuracy: number | null;
}

/** Everything `spout stats` shows. Buckets are sparse (only periods with whales), oldest first. */
export interface Stats {
  since: string | null;
  now: string;
  total: StatsBucket;
  daily: StatsBucket[];
  weekly: StatsBucket[];
  monthly: StatsBucket[];
  /** How honest the ETAs of the whales detected in the range (as `total`) were. */
  etaCalibration: EtaCalibration;
}

interface Sums {
  whales: number;
  sats: number;
  confirmed: number;
  replaced: number;
  dropped: number;
  unknown: number;
  minutes: number;
  timed: number;
  score: number;
  scored: number;
}

const empty = (): Sums => ({
  whales: 0,
  sats: 0,
  confirmed: 0,
  replaced: 0,
  dropped: 0,
  unknown: 0,
  minutes: 0,
  timed: 0,
  score: 0,
  scored: 0,
});

const STATUSES = ['confirmed', 'replaced', 'dropped', 'unknown'] as const;
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

function add(s: Sums, o: OutcomeRecord): void {
  s.whales++;
  s.sats += Number.isFinite(o.valueSats) ? o.valueSats : 0;
  for (const status of STATUSES) if (o.status === status) s[status]++;
  if (o.status === 'confirmed' && typeof o.minutesWaited === 'number') {
    s.minutes += o.minutesWaited;
    s.timed++;
  }
  if (typeof o.score === 'number') {
    s.score += o.score;
    s.scored++;
  }
}

function bucket(period: string, from: number, to: number, s: Sums): StatsBucket {
  return {
    period,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    whales: s.whales,
    btcMoved: s.sats / 1e8,
    confirmed: s.confirmed,
    replaced: s.replaced,
    dropped: s.dropped,
    unknown: s.unknown,
    meanMinutesToConfirm: s.timed === 0 ? null : round(s.minutes / s.timed, 2),
    accuracy: s.scored === 0 ? null : round(s.score / s.scored, 4),
  };
}

function group(
  outcomes: Array<{ at: number; o: OutcomeRecord }>,
  periodOf: (t: number) => Period,
): StatsBucket[] {
  const groups = new Map<string, { period: Period; sums: Sums }>();
  for (const { at, o } of outcomes) {
    const period = periodOf(at);
    let g = groups.get(period.label);
    if (!g) groups.set(period.label, (g = { period, sums: empty() }));
    add(g.sums, o);
  }
  return [...groups.values()]
    .sort((a, b) => a.period.start - b.period.start)
    .map((g) => bucket(g.period.label, g.period.start, g.period.end, g.sums));
}

/**
 * Daily, weekly (ISO weeks) and monthly figures of the stored outcomes, in UTC. A whale counts
 * in the period it was **detected** in (`detectedAt`), so all its figures land together. Only
 * outcomes detected in `[since, now]` count (no `since`: everything up to `now`); records with an
 * unreadable `detectedAt` are skipped. `unknown` outcomes count as whales but have no score.
 * `etaCalibration` covers the same whales as `total` (see {@link etaCalibration}).
 */
export function aggregate(outcomes: Iterable<OutcomeRecord>, range: { since?: Date; now: Date }): Stats {
  const from = range.since?.getTime() ?? Number.NEGATIVE_INFINITY;
  const to = range.now.getTime();
  const kept: Array<{ at: number; o: OutcomeRecord }> = [];
  for (const o of outcomes) {
    const at = Date.parse(o.detectedAt);
    if (at >= from && at <= to) kept.push({ at, o });
  }
  const all = empty();
  for (const { o } of kept) add(all, o);
  const first = kept.reduce((min, k) => Math.min(min, k.at), to);
  return {
    since: range.since ? range.since.toISOString() : null,
    now: range.now.toISOString(),
    total: bucket('total', range.since ? from : first, to, all),
    daily: group(kept, dayOf),
    weekly: group(kept, isoWeekOf),
    monthly: group(kept, monthOf),
    etaCalibration: etaCalibration(kept.map((k) => k.o)),
  };
}
