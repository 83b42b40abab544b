import type { Flow, WhaleSignal } from '../bus/events.js';

/** How an unlabelled side of a flow is named. */
export const UNKNOWN_WALLET = 'unknown wallet';

/**
 * Who moved the coins, in words: `unknown wallet → Binance (inflow)`, `Coinbase → unknown wallet
 * (outflow)`, `OKX → Binance (internal)`. A flow of type `unknown` is shown only when a side is
 * named (a custodian's label, say): `Example Custody → unknown wallet`. Empty without a flow or
 * with nothing known, so an alert does not fill up with "unknown → unknown".
 */
export function flowText(flow: Flow | undefined): string {
  if (!flow) return '';
  const known = flow.type !== 'unknown';
  if (!known && flow.from === null && flow.to === null) return '';
  const path = `${flow.from ?? UNKNOWN_WALLET} → ${flow.to ?? UNKNOWN_WALLET}`;
  return known ? `${path} (${flow.type})` : path;
}

/** The satoshis a whale likely transferred, or null when it equals the total (or is unknown). */
export function transferredOf(signal: Pick<WhaleSignal, 'valueSats' | 'transferredSats'>): number | null {
  const t = signal.transferredSats;
  return t === undefined || t === signal.valueSats ? null : t;
}

/** BTC with thousands separators and at most `digits` decimals, e.g. `1,250.5`. */
export function btcAmount(sats: number, digits = 8): string {
  return (sats / 1e8).toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

/**
 * The amount of a whale in words: `1,250.5 BTC` when everything moved, `501 BTC out, ~1 BTC
 * transferred` when a change rule says most of it went back to the sender. Transferred amounts
 * are rounded to 2 decimals (they are estimates).
 */
export function amountText(signal: Pick<WhaleSignal, 'valueSats' | 'transferredSats'>): string {
  const total = `${btcAmount(signal.valueSats)} BTC`;
  const transferred = transferredOf(signal);
  return transferred === null ? total : `${total} out, ~${btcAmount(transferred, 2)} BTC transferred`;
}
