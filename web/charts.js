// Three small uPlot charts: accuracy by day, whale volume per hour, exchange net flow per hour.
// Each chart is drawn on a canvas, so each figure carries its numbers in words for screen readers.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBtc } from './format.js';
import { accuracySeries, netFlowByHour, volumeByHour } from './series.js';
import {
  accuracyOptions,
  compact,
  drawRules,
  flowOptions,
  percent,
  signed,
  signedBtc,
  volumeOptions,
} from './chart-options.js';

const HEIGHT = 180;
const HOURS = 24;
const DARK = '(prefers-color-scheme: dark)';

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
