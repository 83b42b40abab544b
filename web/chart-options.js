// The uPlot options of the dashboard's three charts, and the number formats they share.
import uPlot from 'uplot';
import { formatBtc } from './format.js';

export const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
export const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
export const signed = new Intl.NumberFormat(undefined, {
  notation: 'compact',
  maximumFractionDigits: 1,
  signDisplay: 'exceptZero',
});
export const signedBtc = new Intl.NumberFormat(undefined, {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: 'exceptZero',
});

/** Horizontal lines across the plot (thresholds, zero), under the series. */
export function drawRules(u, rules, colors) {
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

export function accuracyOptions(c) {
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

export function volumeOptions(c) {
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

export function flowOptions(c) {
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
