// Numbers and durations for the reader's locale (Intl), never hand-formatted.
import { flowText, transferredOf } from '../src/delivery/describe.ts';
import { etaText } from '../src/delivery/eta-text.ts';

const btc = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usd = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 0,
});
const rate = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const int = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** BTC with two decimals, e.g. "1,234.50". */
export const formatBtc = (n) => (typeof n === 'number' ? btc.format(n) : '—');

/** USD without cents, or a dash when unknown. */
export const formatUsd = (n) => (typeof n === 'number' ? usd.format(n) : '—');

/** A fee rate in sat/vB. */
export const formatRate = (n) => (typeof n === 'number' ? `${rate.format(n)} sat/vB` : '—');

/** A whole number. */
export const formatInt = (n) => (typeof n === 'number' ? int.format(n) : '—');

/** Time since an ISO instant, at `now` (ms): "45 s", "12 min", "3 h". */
export function formatAge(iso, now) {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${int.format(s)} s`;
  if (s < 3600) return `${int.format(Math.floor(s / 60))} min`;
  if (s < 86400) return `${int.format(Math.floor(s / 3600))} h`;
  return `${int.format(Math.floor(s / 86400))} d`;
}

/** The ETA of a whale in the alerts' words ("~2 blocks: ~17 min (5–39 min)"), or a dash. */
export function formatEta(w) {
  if (w.eta) return etaText(w.eta);
  return w.urgency ? `~${formatInt(w.urgency.predictedBlocks)} blocks` : '—';
}

const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 });

/** A 0–1 score as a percentage ("85 %" in the reader's locale). */
export const formatPercent = (n) => (typeof n === 'number' ? percent.format(n) : '—');

/**
 * Who moved it, in the alerts' words ("unknown wallet → Binance (inflow)"), or a dash when
 * nothing is known.
 */
export const formatFlow = (flow) => flowText(flow) || '—';

/** "~250.00 BTC transferred" when change is likely (the rest went back to the sender), else null. */
export function formatTransferred(w) {
  const sats = transferredOf(w);
  return sats === null ? null : `~${btc.format(sats / 1e8)} BTC transferred`;
}

/** The first and last characters of a txid. */
export const shortTxid = (txid) => `${txid.slice(0, 8)}…${txid.slice(-6)}`;
