import type { Stats, StatsBucket } from './aggregate.js';
import type { EtaCalibration } from './calibration.js';

const HEADERS = [
  'period',
  'whales',
  'BTC',
  'confirmed',
  'replaced',
  'dropped',
  'unknown',
  'min to confirm',
  'accuracy',
];

const btc = (x: number): string =>
  x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const orDash = (x: number | null, text: (x: number) => string): string => (x === null ? '–' : text(x));

function row(b: StatsBucket): string[] {
  return [
    b.period,
    String(b.whales),
    btc(b.btcMoved),
    String(b.confirmed),
    String(b.replaced),
    String(b.dropped),
    String(b.unknown),
    orDash(b.meanMinutesToConfirm, (m) => m.toFixed(1)),
    orDash(b.accuracy, (a) => `${(a * 100).toFixed(1)}%`),
  ];
}

/** A table: the first column left-aligned, the numbers right-aligned. */
function table(rows: string[][]): string {
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(HEADERS), ...rows.map(line)].join('\n') + '\n';
}

/** The ETA calibration section: its title and one figure a line, or why there is none. */
function calibration(c: EtaCalibration): string {
  const title = '\nETA calibration (confirmed whales with an ETA)\n';
  if (c.confirmedWithEta === 0 || c.withinRangeShare === null || c.medianAbsErrorMinutes === null)
    return `${title}No confirmed whale in this range had an ETA (the urgency detector adds one).\n`;
  const lines: Array<[string, string]> = [
    ['with an ETA', String(c.confirmedWithEta)],
    [
      'within the 10–90% range',
      `${c.withinRange} (${(c.withinRangeShare * 100).toFixed(1)}%; about 80% when the ETA is honest)`,
    ],
    ['median ETA error (absolute)', `${c.medianAbsErrorMinutes.toFixed(1)} min`],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  return title + lines.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('');
}

/**
 * `spout stats` as text: a headline with the range, the total, the ETA calibration over the
 * range, then the monthly, weekly and daily tables (oldest first), or a note that nothing is
 * stored yet. `source` names where the data came from.
 */
export function formatStats(stats: Stats, source: string): string {
  const range = stats.since ? `since ${stats.since}` : 'all stored data';
  const head = `Spout statistics (${range}, up to ${stats.now}) from ${source}\n`;
  if (stats.total.whales === 0) return `${head}\nNo settled whales in this range yet.\n`;
  const section = (title: string, buckets: StatsBucket[]) => `\n${title}\n${table(buckets.map(row))}`;
  const sections: Array<[string, StatsBucket[]]> = [
    ['Monthly', stats.monthly],
    ['Weekly (ISO weeks, UTC)', stats.weekly],
    ['Daily (UTC)', stats.daily],
  ];
  return (
    head +
    section('Total', [stats.total]) +
    calibration(stats.etaCalibration) +
    sections.map(([title, buckets]) => section(title, buckets)).join('')
  );
}
