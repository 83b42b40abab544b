import type { TxSeen } from '../../../src/index.js';
import labels from '../../../labels/exchanges.json' with { type: 'json' };
import { fakeAddress } from './transactions.js';
import type { Random } from './random.js';

/** The exchange addresses of the built-in labels, grouped by exchange (so "internal" is two of them). */
const EXCHANGES: ReadonlyArray<readonly string[]> = Object.values(
  (labels as { addresses: Array<{ address: string; entity: string }> }).addresses.reduce<
    Record<string, string[]>
  >((by, a) => ((by[a.entity] ??= []).push(a.address), by), {}),
);

/** Shares of simulated whales by who moves them: to an exchange, from one, between two, else wallets. */
const INFLOW = 0.3;
const OUTFLOW = 0.2;
const INTERNAL = 0.1;
/** Share of whales shaped as one payment plus change, and of those whose change reuses the sender's address. */
const PAYMENT_WITH_CHANGE = 0.6;
const CHANGE_TO_SENDER = 0.4;

/**
 * A whale as exchanges and wallets make them, so that the demo shows attribution and transferred
 * amounts: some pay a built-in exchange address (inflow), some spend from one (outflow), some go
 * from one exchange to another (internal), the rest move between unlabelled wallets. Most become
 * one round payment (two significant digits in BTC, 5–95 % of the total) plus the non-round
 * change, sent back to the sender's own address in some (address reuse) and to a fresh address
 * otherwise. The total, the fee and the size stay as drawn; only addresses and the split change.
 */
export function shapeWhale(rng: Random, tx: TxSeen): TxSeen {
  const u = rng.next();
  const kind =
    u < INFLOW
      ? 'inflow'
      : u < INFLOW + OUTFLOW
        ? 'outflow'
        : u < INFLOW + OUTFLOW + INTERNAL
          ? 'internal'
          : 'wallets';
  const from = kind === 'outflow' || kind === 'internal' ? rng.pick(EXCHANGES) : null;
  const to = kind === 'inflow' || kind === 'internal' ? otherThan(rng, from) : null;
  const sender = from ? rng.pick(from) : null;
  const inputs = sender ? tx.inputs.map((i) => ({ ...i, address: sender })) : tx.inputs;
  let outputs = tx.outputs;
  if (rng.chance(PAYMENT_WITH_CHANGE)) {
    const payment = roundBtc(tx.valueSats * (0.05 + 0.9 * rng.next()));
    // An exchange spending sends its change to a fresh address of its own, not back to the payer's.
    const reuse = !from && rng.chance(CHANGE_TO_SENDER);
    const changeTo = reuse ? (inputs[0]?.address ?? fakeAddress(rng)) : fakeAddress(rng);
    outputs = [
      { address: to ? rng.pick(to) : fakeAddress(rng), valueSats: payment },
      { address: changeTo, valueSats: tx.valueSats - payment },
    ];
  } else if (to) {
    outputs = tx.outputs.map((o, i) => (i === 0 ? { ...o, address: rng.pick(to) } : o));
  }
  return { ...tx, inputs, outputs };
}

function otherThan(rng: Random, exchange: readonly string[] | null): readonly string[] {
  const others = EXCHANGES.filter((e) => e !== exchange);
  return rng.pick(others.length > 0 ? others : EXCHANGES);
}

/** `sats` rounded down to two significant digits in BTC (at least 0.01 BTC): 312.7 → 310 BTC. */
function roundBtc(sats: number): number {
  const btc = Math.max(0.01, sats / 1e8);
  const step = 10 ** (Math.floor(Math.log10(btc)) - 1);
  return Math.round(Math.floor(btc / step) * step * 1e8);
}
