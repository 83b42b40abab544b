import type { Eta, UrgencyLevel } from '../bus/events.js';
import type { OutcomeStatus } from '../store/records.js';
import type { FileResult, ReplayResult, WhaleResult } from './replay.js';

/** `count` of `of`, and their ratio (4 decimals; null when `of` is 0). */
export interface Share {
  count: number;
  of: number;
  share: number | null;
}

/** The median and 90th percentile of absolute errors (2 decimals; null without a sample). */
export interface Spread {
  sample: number;
  median: number | null;
  p90: number | null;
}

/** The figures of a set of whales (all of them, one urgency level, one fee band). */
export interface GroupFigures {
  whales: number;
  confirmed: number;
  replaced: number;
  dropped: number;
  /** Settled as unknown by the correlation job (blocks were missed); not scored. */
  unknown: number;
  /** Still pending when the recordings ended. */
  pending: number;
  /** Confirmed within ±1 block of the predicted block count, of those confirmed with a prediction. */
  withinOneBlock: Share;
  /** Actual wait within the ETA's 10–90% range, of those confirmed with an ETA. */
  withinEtaRange: Share;
  /** Confirmed whales whose signal had no ETA (left out of `withinEtaRange` and `minutesError`). */
  confirmedWithoutEta: number;
  /** |blocks waited − blocks predicted| over confirmed whales with a prediction. */
  blocksError: Spread;
  /** |minutes waited − the ETA's median| over confirmed whales with an ETA. */
  minutesError: Spread;
  /** Mean of the correlation job's scores (confirmed, replaced, dropped), 3 decimals. */
  meanScore: number | null;
  scored: number;
}

export type UrgencyGroup = UrgencyLevel | 'none';

/** Fee-rate bands of the report, in sat/vB: [min, max). */
export const FEE_BANDS = [
  { band: '<5', min: 0, max: 5 },
  { band: '5–10', min: 5, max: 10 },
  { band: '10–20', min: 10, max: 20 },
  { band: '20–50', min: 20, max: 50 },
  { band: '≥50', min: 50, max: Number.POSITIVE_INFINITY },
] as const;

const URGENCY_GROUPS: readonly UrgencyGroup[] = ['low', 'medium', 'high', 'critical', 'none'];

/** One whale as the JSON report lists it. */
export interface WhaleRow {
  txid: string;
  valueBtc: number;
  /** The fee rate the prediction used (the urgency's `rate`, else the signal's `feeRate`). */
  feeRate: number;
  firstSeen: string;
  detectedAt: string;
  urgency: UrgencyLevel | null;
  predictedBlocks: number | null;
  eta: Eta | null;
  status: OutcomeStatus | 'pending';
  settledAt: string | null;
  height: number | null;
  blocksWaited: number | null;
  minutesWaited: number | null;
  score: number | null;
}

/** The backtest report: what `spout backtest` prints, as text or (`--json`) as this object. */
export interface BacktestReport {
  files: FileResult[];
  events: number;
  from: string | null;
  to: string | null;
  elapsedMs: number;
  eventsPerSecond: number;
  failures: number;
  /** Every whale. */
  all: GroupFigures;
  byUrgency: Array<{ urgency: UrgencyGroup } & GroupFigures>;
  byFeeBand: Array<{ band: string; min: number; max: number | null } & GroupFigures>;
  whales: WhaleRow[];
  warnings: string[];
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits || 0;
const share = (count: number, of: number): Share => ({
  count,
  of,
  share: of === 0 ? null : round(count / of, 4),
});

/** Median (the mean of the middle two for an even count) and nearest-rank 90th percentile. */
export function spread(values: number[]): Spread {
  const sorted = values.map(Math.abs).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { sample: 0, median: null, p90: null };
  const mid = n >> 1;
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { sample: n, median: round(median, 2), p90: round(sorted[Math.ceil(0.9 * n) - 1]!, 2) };
}

/** The report's row for one whale. */
export function whaleRow({ signal, outcome }: WhaleResult): WhaleRow {
  const eta = signal.eta ?? null;
  return {
    txid: signal.txid,
    valueBtc: signal.valueBtc,
    feeRate: signal.urgency?.rate ?? signal.feeRate,
    firstSeen: signal.firstSeen,
    detectedAt: signal.detectedAt,
    urgency: signal.urgency?.level ?? null,
    predictedBlocks: outcome?.predictedBlocks ?? signal.urgency?.predictedBlocks ?? null,
    eta,
    status: outcome?.status ?? 'pending',
    settledAt: outcome?.settledAt ?? null,
    height: outcome?.height ?? null,
    blocksWaited: outcome?.blocksWaited ?? null,
    minutesWaited: outcome?.minutesWaited ?? null,
    score: outcome?.score ?? null,
  };
}

/** The figures of `rows` (see {@link GroupFigures}). */
export function figures(rows: readonly WhaleRow[]): GroupFigures {
  const counts = { confirmed: 0, replaced: 0, dropped: 0, unknown: 0, pending: 0 };
  const blocks: number[] = [];
  const minutes: number[] = [];
  let withinBlock = 0;
  let withinEta = 0;
  let withoutEta = 0;
  let scoreSum = 0;
  let scored = 0;
  for (const row of rows) {
    counts[row.status]++;
    if (row.score !== null) {
      scoreSum += row.score;
      scored++;
    }
    if (row.status !== 'confirmed' || row.blocksWaited === null) continue;
    if (row.predictedBlocks !== null) {
      const off = row.blocksWaited - row.predictedBlocks;
      blocks.push(off);
      if (Math.abs(off) <= 1) withinBlock++;
    }
    if (row.eta === null || row.minutesWaited === null) withoutEta++;
    else {
      minutes.push(row.minutesWaited - row.eta.p50Minutes);
      if (row.minutesWaited >= row.eta.p10Minutes && row.minutesWaited <= row.eta.p90Minutes) withinEta++;
    }
  }
  return {
    whales: rows.length,
    ...counts,
    withinOneBlock: share(withinBlock, blocks.length),
    withinEtaRange: share(withinEta, minutes.length),
    confirmedWithoutEta: withoutEta,
    blocksError: spread(blocks),
    minutesError: spread(minutes),
    meanScore: scored === 0 ? null : round(scoreSum / scored, 3),
    scored,
  };
}

/**
 * The report of a replay: the figures of every whale, then by urgency level (`none` for whales
 * without an urgency annotation) and by fee band (see {@link FEE_BANDS}), each group listed even
 * when empty; `warnings` are the sentences printed on stderr too (truncated files, failures).
 */
export function buildReport(result: ReplayResult, warnings: string[] = []): BacktestReport {
  const rows = result.whales.map(whaleRow);
  const seconds = result.elapsedMs / 1000;
  return {
    files: result.files,
    events: result.events,
    from: result.from,
    to: result.to,
    elapsedMs: Math.round(result.elapsedMs),
    eventsPerSecond: seconds > 0 ? Math.round(result.events / seconds) : 0,
    failures: result.failures,
    all: figures(rows),
    byUrgency: URGENCY_GROUPS.map((urgency) => ({
      urgency,
      ...figures(rows.filter((r) => (r.urgency ?? 'none') === urgency)),
    })),
    byFeeBand: FEE_BANDS.map(({ band, min, max }) => ({
      band,
      min,
      max: Number.isFinite(max) ? max : null,
      ...figures(rows.filter((r) => r.feeRate >= min && r.feeRate < max)),
    })),
    whales: rows,
    warnings,
  };
}
