import type { BacktestReport, GroupFigures, Share, Spread } from './report.js';

const count = (n: number) => n.toLocaleString('en-US');
const percent = (s: Share) => (s.share === null ? '' : ` (${(s.share * 100).toFixed(1)}%)`);
const ratio = (s: Share) => (s.of === 0 ? '–' : `${s.count}/${s.of}${percent(s)}`);
const score = (g: GroupFigures) => (g.meanScore === null ? '–' : g.meanScore.toFixed(3));

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 || unit === 'min' ? '' : 's'}`;

function spreadText(s: Spread, unit: string): string {
  if (s.median === null || s.p90 === null) return 'none to measure';
  return `median ${plural(s.median, unit)}, p90 ${plural(s.p90, unit)} (${plural(s.sample, 'whale')})`;
}

/** A labelled figure, the figures aligned. */
const row = (label: string, value: string) => `  ${label.padEnd(44)} ${value}`;

function etaText(g: GroupFigures): string {
  const without = g.confirmedWithoutEta > 0 ? `, ${count(g.confirmedWithoutEta)} without an ETA` : '';
  if (g.withinEtaRange.of === 0)
    return g.confirmedWithoutEta > 0 ? `no ETA (${count(g.confirmedWithoutEta)} confirmed without one)` : '–';
  return `${count(g.withinEtaRange.count)} of ${count(g.withinEtaRange.of)}${percent(g.withinEtaRange)}${without}`;
}

/** One table: a header line, then a row per group. */
function table(title: string, rows: Array<[string, GroupFigures]>): string[] {
  const header = ['whales', 'confirmed', 'replaced', 'dropped', 'pending', '±1 block', 'ETA 10–90%', 'score'];
  const cells = rows.map(([name, g]) => [
    `  ${name}`,
    count(g.whales),
    count(g.confirmed),
    count(g.replaced),
    count(g.dropped),
    count(g.pending),
    ratio(g.withinOneBlock),
    ratio(g.withinEtaRange),
    score(g),
  ]);
  const widths = [title, ...header].map((h, i) =>
    Math.max(h.length, ...cells.map((row) => (row[i] as string).length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line([title, ...header]), ...cells.map(line)];
}

/**
 * The report as text for people, in this order: what was replayed, the whales and their
 * outcomes, the prediction figures over confirmed whales (±1 block, the ETA's 10–90% range,
 * median and p90 errors, mean score), then the same by urgency level and by fee band. Warnings
 * are not repeated here (they go to stderr).
 */
export function renderReport(report: BacktestReport): string {
  const r = report.all;
  const files = report.files.length === 1 ? '1 recording file' : `${report.files.length} recording files`;
  const span = report.from === null ? 'no event' : `${report.from} → ${report.to}`;
  const seconds = (report.elapsedMs / 1000).toFixed(1);
  const lines = [
    `Backtest of ${count(report.events)} events from ${files}, recorded ${span}`,
    `  replayed in ${seconds} s (${count(report.eventsPerSecond)} events/s)${report.failures > 0 ? `; ${count(report.failures)} handler failure(s), see the log` : ''}`,
    '',
    `Whales: ${count(r.whales)}`,
    `  confirmed ${count(r.confirmed)}, replaced ${count(r.replaced)}, dropped ${count(r.dropped)}, ` +
      `unknown ${count(r.unknown)}, still pending at the end ${count(r.pending)}`,
    '',
    `Predictions, over the ${count(r.confirmed)} confirmed whale(s):`,
    row(
      'confirmed within ±1 block of the prediction',
      r.withinOneBlock.of === 0
        ? '–'
        : `${count(r.withinOneBlock.count)} of ${count(r.withinOneBlock.of)}${percent(r.withinOneBlock)}`,
    ),
    row("actual wait within the ETA's 10–90% range", etaText(r)),
    row('error in blocks, |actual − predicted|', spreadText(r.blocksError, 'block')),
    row('error in minutes, |actual − ETA median|', spreadText(r.minutesError, 'min')),
    `Mean accuracy score: ${r.meanScore === null ? '– (no settled whale)' : `${r.meanScore.toFixed(3)} over ${count(r.scored)} settled whale(s)`}`,
    '',
    ...table(
      'By urgency',
      report.byUrgency.map((g) => [g.urgency === 'none' ? 'no urgency' : g.urgency, g]),
    ),
    '',
    ...table(
      'By fee rate (sat/vB)',
      report.byFeeBand.map((g) => [g.band, g]),
    ),
  ];
  return lines.join('\n') + '\n';
}
