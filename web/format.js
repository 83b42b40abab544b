// Numbers and durations for the reader's locale (Intl), never hand-formatted.
import { flowText, transferredOf } from '../src/delivery/describe.ts';

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

/** Minutes as "~12 min" or "~1.5 h". */
export function formatMinutes(m) {
  if (typeof m !== 'number') return '—';
  if (m < 90) return `${int.format(Math.max(0, Math.round(m)))} min`;
  return `${rate.format(m / 60)} h`;
}

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

/** The ETA of a whale: "2 blocks · ~18 min (6–41)". */
export function formatEta(w) {
  const eta = w.eta;
  if (!eta) return w.urgency ? `${formatInt(w.urgency.predictedBlocks)} blocks` : '—';
  const blocks = eta.blocks === 1 ? '1 block' : `${formatInt(eta.blocks)} blocks`;
  return `${blocks} · ~${formatMinutes(eta.p50Minutes)} (${formatInt(eta.p10Minutes)}–${formatInt(eta.p90Minutes)})`;
}

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
