// Three small uPlot charts: accuracy by day, whale volume per hour, exchange net flow per hour.
// Each chart is drawn on a canvas, so each figure carries its numbers in words for screen readers.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBtc } from './format.js';
import { accuracySeries, netFlowByHour, volumeByHour } from './series.js';

const HEIGHT = 180;
const HOURS = 24;
const DARK = '(prefers-color-scheme: dark)';

const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const signed = new Intl.NumberFormat(undefined, {
  notation: 'compact',
  maximumFractionDigits: 1,
  signDisplay: 'exceptZero',
});
const signedBtc = new Intl.NumberFormat(undefined, {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: 'exceptZero',
});
const sum = (values) => values.reduce((a, b) => a + b, 0);

/**
 * The Charts section: prediction accuracy per UTC day from `stats` (`/api/stats`, with the
 * accuracy thresholds as dashed lines when `stats.thresholds` has them), and over the last 24
 * hours up to `now` (ms) the BTC of the whales in `rows` (the book's rows, pending and settled
 * alike) per hour of detection, pending beside confirmed, and the exchange net flow per hour
 * (inflow − outflow). A chart without data says "No data yet".
 */
export function Charts({ stats, rows, now }) {
  const dark = useDarkScheme();
  const a = accuracySeries(stats);
  const v = volumeByHour(rows, now, HOURS);
  const f = netFlowByHour(rows, now, HOURS);
  return html`<section class="panel charts" aria-labelledby="charts-title">
    <h2 id="charts-title">Charts</h2>
    <div class="chart-grid">
      <${Figure}
        id="chart-accuracy"
        title="Prediction accuracy by day (UTC)"
        note=${thresholdNote(a)}
        empty=${!a.accuracy.some((x) => x !== null)}
        label=${accuracyText(a)}
        options=${accuracyOptions}
        data=${[a.x, a.accuracy]}
        rules=${[
          { y: a.warning, color: 'warn', dash: true },
          { y: a.critical, color: 'bad', dash: true },
        ]}
        dark=${dark}
      />
      <${Figure}
        id="chart-volume"
        title="Whale volume per hour (BTC), last 24 h"
        empty=${![...v.pending, ...v.confirmed].some((x) => x !== 0)}
        label=${volumeText(v)}
        options=${volumeOptions}
        data=${[v.x, v.pending, v.confirmed]}
        dark=${dark}
      />
      <${Figure}
        id="chart-flow"
        title="Exchange net flow per hour (BTC), last 24 h"
        note="Above zero: more went into exchanges than came out."
        empty=${!f.net.some((x) => x !== 0)}
        label=${flowText(f)}
        options=${flowOptions}
        data=${[f.x, f.net]}
        rules=${[{ y: 0, color: 'muted', dash: false }]}
        dark=${dark}
      />
    </div>
  </section>`;
}

function Figure({ id, title, note, empty, ...plot }) {
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    ${empty ? html`<p class="empty">No data yet</p>` : html`<${Plot} id=${id} ...${plot} />`}
    ${note && !empty ? html`<p class="hint">${note}</p>` : null}
  </figure>`;
}

/**
 * One uPlot chart, made once per colour scheme (its colours are read then) and given new data
 * with `setData` only when the numbers changed: the page re-renders every second.
 */
function Plot({ id, label, options, data, rules = [], dark }) {
  const box = useRef(null);
  const plot = useRef(null);
  const latest = useRef(null);
  const key = JSON.stringify([data, rules]);
  latest.current = { data, rules, key };

  useEffect(() => {
    const el = box.current;
    const colors = palette();
    // A hidden container measures 0: uPlot still needs a width, the observer fixes it once shown.
    let width = widthOf(el) || 300;
    const u = new uPlot(
      {
        ...options(colors),
        width,
        height: HEIGHT,
        cursor: { drag: { x: false, y: false, setScale: false }, points: { fill: colors.panel } },
        hooks: { drawAxes: [(u) => drawRules(u, latest.current.rules, colors)] },
      },
      latest.current.data,
      el,
    );
    plot.current = { u, key: latest.current.key };
    const resize = new ResizeObserver(() => {
      const w = widthOf(el);
      if (w === width || w === 0) return;
      width = w;
      u.setSize({ width, height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [dark]);

  useEffect(() => {
    const p = plot.current;
    if (!p || p.key === key) return;
    p.key = key;
    p.u.setData(data);
  }, [key]);

  return html`<div class="chart-plot" id=${id} role="img" aria-label=${label} ref=${box}></div>`;
}

/** Whether the reader's system is in dark mode, followed live (the colours are re-read). */
function useDarkScheme() {
  const [dark, setDark] = useState(() => matchMedia(DARK).matches);
  useEffect(() => {
    const query = matchMedia(DARK);
    const change = () => setDark(query.matches);
    query.addEventListener('change', change);
    return () => query.removeEventListener('change', change);
  }, []);
  return dark;
}

/** The page's colours (app.css custom properties); a canvas cannot use var() itself. */
function palette() {
  const css = getComputedStyle(document.documentElement);
  const get = (name, fallback) => css.getPropertyValue(`--${name}`).trim() || fallback;
  return {
    panel: get('panel', '#fff'),
    muted: get('muted', '#57606a'),
    line: get('line', '#d0d7de'),
    accent: get('accent', '#0b5cad'),
    ok: get('ok', '#1a7f37'),
    warn: get('warn', '#9a6700'),
    bad: get('bad', '#b42318'),
  };
}

const widthOf = (el) => Math.floor(el.clientWidth);

/** Horizontal lines across the plot (thresholds, zero), under the series. */
function drawRules(u, rules, colors) {
  const { ctx, bbox } = u;
  const px = uPlot.pxRatio;
  ctx.save();
  ctx.lineWidth = px;
  for (const rule of rules) {
    if (typeof rule.y !== 'number') continue;
    const y = Math.round(u.valToPos(rule.y, 'y', true)) + 0.5;
    if (y < bbox.top || y > bbox.top + bbox.height) continue;
    ctx.strokeStyle = colors[rule.color];
    ctx.setLineDash(rule.dash ? [6 * px, 4 * px] : []);
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
  }
  ctx.restore();
}

const axes = (c, yValues, x = {}) => {
  const lines = { stroke: c.line, width: 1 };
  return [
    { stroke: c.muted, grid: lines, ticks: lines, ...x },
    { stroke: c.muted, grid: lines, ticks: lines, values: (u, splits) => splits.map(yValues) },
  ];
};

/**
 * A time scale from the first to the last x with `pad` seconds of room each side. From the data,
 * not uPlot's min and max: for a single point uPlot widens a time scale by 86,400 × 1,000 s.
 */
const timeScale = (pad) => ({
  time: true,
  range: (u) => {
    const x = u.data[0];
    return x.length === 0 ? [null, null] : [x[0] - pad, x[x.length - 1] + pad];
  },
});

// The hourly charts draw bars centred on (or beside) each hour start: half an hour of room each side.
const hourScale = timeScale(1800);

// Day ticks only (uPlot's own day-and-above steps): hour ticks would suggest hourly figures.
const DAY = 86_400;
const dayIncrs = [1, 2, 3, 7, 15, 30, 60, 90, 180, 365].map((n) => n * DAY);

const btcValue = (u, v) => (v === null || v === undefined ? '—' : `${formatBtc(v)} BTC`);

function accuracyOptions(c) {
  return {
    // Stats days are UTC days: label them as such whatever the reader's time zone.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    // Half a day of room each side, so the end points show whole.
    scales: { x: timeScale(DAY / 2), y: { range: [0, 1] } },
    series: [
      { label: 'Day', value: '{YYYY}-{MM}-{DD}' },
      {
        label: 'Accuracy',
        stroke: c.accent,
        width: 2,
        points: { show: true, size: 5, fill: c.accent },
        value: (u, v) => (v === null || v === undefined ? '—' : percent.format(v)),
      },
    ],
    axes: axes(c, (v) => percent.format(v), { incrs: dayIncrs }),
  };
}

function volumeOptions(c) {
  const bars = (align) => uPlot.paths.bars({ size: [0.4, 20], align });
  return {
    scales: { x: hourScale, y: { range: (u, min, max) => uPlot.rangeNum(0, max || 1, 0.1, true) } },
    series: [
      { label: 'Hour' },
      {
        label: 'Pending',
        stroke: c.accent,
        fill: c.accent,
        width: 0,
        paths: bars(-1),
        points: { show: false },
        value: btcValue,
      },
      {
        label: 'Confirmed',
        stroke: c.ok,
        fill: c.ok,
        width: 0,
        paths: bars(1),
        points: { show: false },
        value: btcValue,
      },
    ],
    axes: axes(c, (v) => compact.format(v)),
  };
}

function flowOptions(c) {
  return {
    scales: {
      x: hourScale,
      // Symmetric around zero, so inflow and outflow bars compare at a glance.
      y: {
        range: (u, min, max) => {
          const m = Math.max(Math.abs(min), Math.abs(max)) || 1;
          return uPlot.rangeNum(-m, m, 0.1, true);
        },
      },
    },
    series: [
      { label: 'Hour' },
      {
        label: 'Net flow',
        stroke: c.accent,
        fill: c.accent,
        width: 0,
        paths: uPlot.paths.bars({ size: [0.6, 24] }),
        points: { show: false },
        value: (u, v) => (v === null || v === undefined ? '—' : `${signedBtc.format(v)} BTC`),
      },
    ],
    axes: axes(c, (v) => signed.format(v)),
  };
}

function thresholdNote(a) {
  const parts = [];
  if (a.warning !== null) parts.push(`warning below ${percent.format(a.warning)}`);
  if (a.critical !== null) parts.push(`critical below ${percent.format(a.critical)}`);
  return parts.length === 0 ? null : `Dashed lines: ${parts.join(', ')}.`;
}

function accuracyText(a) {
  let last = a.accuracy.length - 1;
  while (last >= 0 && a.accuracy[last] === null) last--;
  if (last < 0) return 'Prediction accuracy by day: no scored whale yet.';
  const days = a.x.length === 1 ? '1 day' : `${a.x.length} days`;
  const day = new Date(a.x[last] * 1000).toISOString().slice(0, 10);
  const thresholds = thresholdNote(a)?.replace('Dashed lines', 'Thresholds');
  const latest = `latest ${percent.format(a.accuracy[last])} on ${day} (UTC).`;
  return `Prediction accuracy by day over ${days}: ${latest}${thresholds ? ` ${thresholds}` : ''}`;
}

function volumeText(v) {
  return (
    `Whale volume per hour over the last 24 hours: ${formatBtc(sum(v.pending))} BTC still pending and ` +
    `${formatBtc(sum(v.confirmed))} BTC confirmed; this hour ${formatBtc(v.pending.at(-1))} BTC pending, ` +
    `${formatBtc(v.confirmed.at(-1))} BTC confirmed.`
  );
}

function flowText(f) {
  return (
    `Exchange net flow per hour over the last 24 hours (inflow minus outflow): ` +
    `${signedBtc.format(sum(f.net))} BTC in total, ${signedBtc.format(f.net.at(-1))} BTC this hour.`
  );
}
