import type { Stats, StatsBucket } from './aggregate.js';

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

/**
 * `spout stats` as text: a headline with the range, then the monthly, weekly and daily tables
 * (oldest first), or a note that nothing is stored yet. `source` names where the data came from.
 */
export function formatStats(stats: Stats, source: string): string {
  const range = stats.since ? `since ${stats.since}` : 'all stored data';
  const head = `Spout statistics (${range}, up to ${stats.now}) from ${source}\n`;
  if (stats.total.whales === 0) return `${head}\nNo settled whales in this range yet.\n`;
  const sections: Array<[string, StatsBucket[]]> = [
    ['Total', [stats.total]],
    ['Monthly', stats.monthly],
    ['Weekly (ISO weeks, UTC)', stats.weekly],
    ['Daily (UTC)', stats.daily],
  ];
  return head + sections.map(([title, buckets]) => `\n${title}\n${table(buckets.map(row))}`).join('');
}
