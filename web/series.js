// The charts' numbers, from the stats and the book of whales: pure functions, no DOM. Times go to
// the charts in unix seconds (what uPlot plots), hours and days in UTC.
import { transferredOf } from '../src/delivery/describe.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Prediction accuracy per UTC day, from `/api/stats`: `x` the day starts (unix seconds),
 * `accuracy` the day's mean score (0–1), null for a day with no scored whale. Days missing from
 * the sparse `stats.daily` (no whale that day) are filled in with null between the first and the
 * last day, so a line breaks there instead of bridging the gap. `warning` and `critical` are the
 * accuracy job's thresholds when `stats.thresholds` has them, else null. No stats: empty arrays.
 */
export function accuracySeries(stats) {
  const byDay = new Map();
  for (const d of stats?.daily ?? []) {
    const start = dayStart(d);
    if (start !== null) byDay.set(start, typeof d.accuracy === 'number' ? d.accuracy : null);
  }
  const days = [...byDay.keys()].sort((a, b) => a - b);
  const x = [];
  const accuracy = [];
  if (days.length > 0)
    for (let t = days[0]; t <= days[days.length - 1]; t += DAY_MS) {
      x.push(t / 1000);
      accuracy.push(byDay.get(t) ?? null);
    }
  const t = stats?.thresholds;
  return { x, accuracy, warning: numberOrNull(t?.warning), critical: numberOrNull(t?.critical) };
}

/**
 * BTC of the whales detected in each of the last `hours` UTC hours up to `now` (ms; the current,
 * unfinished hour is the last): `x` every hour start (unix seconds), zero-filled, `pending` the
 * whales still pending, `confirmed` those mined. Replaced and dropped whales are left out (those
 * coins did not move as detected), and so are whales of unknown outcome. Amounts are the whales'
 * whole values (`valueBtc`), as in the stats' `btcMoved`.
 */
export function volumeByHour(rows, now, hours = 24) {
  const { x, slot } = hourSlots(now, hours);
  const pending = x.map(() => 0);
  const confirmed = x.map(() => 0);
  for (const row of rows) {
    const i = slot(row.at);
    const btc = row.whale?.valueBtc;
    if (i === -1 || typeof btc !== 'number') continue;
    if (row.status === 'pending') pending[i] += btc;
    else if (row.status === 'confirmed') confirmed[i] += btc;
  }
  return { x, pending, confirmed };
}

/**
 * Net exchange flow per UTC hour of detection over the last `hours` hours up to `now` (ms):
 * inflow BTC minus outflow BTC, positive when more went into exchanges. Internal and unknown
 * flows count for nothing; pending and confirmed whales count, replaced, dropped and unknown
 * outcomes do not (as in {@link volumeByHour}). A whale counts for what it likely transferred
 * when a change rule said so (its change went back to the sender, not to the exchange), else
 * for its whole value.
 */
export function netFlowByHour(rows, now, hours = 24) {
  const { x, slot } = hourSlots(now, hours);
  const net = x.map(() => 0);
  for (const row of rows) {
    const i = slot(row.at);
    const sign = FLOW_SIGN[row.whale?.flow?.type] ?? 0;
    if (i === -1 || sign === 0 || (row.status !== 'pending' && row.status !== 'confirmed')) continue;
    const btc = movedBtc(row.whale);
    if (btc !== null) net[i] += sign * btc;
  }
  return { x, net };
}

const FLOW_SIGN = { inflow: 1, outflow: -1 };

function movedBtc(whale) {
  const sats = transferredOf(whale);
  if (sats !== null) return sats / 1e8;
  return typeof whale.valueBtc === 'number' ? whale.valueBtc : null;
}

/**
 * The hour starts of the window and where an instant (ms) falls in it (-1: outside). A whale
 * stamped a little after `now` (the server's clock ahead of the browser's) still lands in the
 * current hour.
 */
function hourSlots(now, hours) {
  const first = Math.floor(now / HOUR_MS) - hours + 1;
  const x = Array.from({ length: hours }, (_, i) => ((first + i) * HOUR_MS) / 1000);
  const slot = (at) => {
    const i = Math.floor(at / HOUR_MS) - first;
    return Number.isFinite(i) && i >= 0 && i < hours ? i : -1;
  };
  return { x, slot };
}

function dayStart(bucket) {
  const at = Date.parse(bucket.from ?? `${bucket.period}T00:00:00Z`);
  return Number.isFinite(at) ? Math.floor(at / DAY_MS) * DAY_MS : null;
}

const numberOrNull = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
