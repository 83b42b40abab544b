import type { Flow, FlowType, TxSeen } from '../../../src/index.js';
import type { LabelLookup } from './label-set.js';
import { normalizeAddress, type Label } from './labels.js';

/** What the labels say about one side (inputs or outputs) of a transaction. */
interface Side {
  /** Some address on this side is an exchange's. */
  exchange: boolean;
  /** The entity named for this side, or null when no address on it is labelled. */
  name: string | null;
}

const TYPES: Record<`${boolean}/${boolean}`, FlowType> = {
  'true/true': 'internal',
  'false/true': 'inflow',
  'true/false': 'outflow',
  'false/false': 'unknown',
};

/**
 * The exchange flow of a transaction, from the labels of its input (sending) and output
 * (receiving) addresses:
 *
 * - `internal` when both sides hold an exchange address (the same exchange or two different
 *   ones), `inflow` when only the outputs do, `outflow` when only the inputs do, else `unknown`.
 *   Only `exchange` labels decide the type; `custody` and `other` labels never do.
 * - `from` / `to` name one labelled entity of each side, or null: an exchange if the side has
 *   one, else an entity of any type (so an `unknown` flow may still name a custodian). When
 *   several qualify, the one whose addresses move the most value on that side wins (input
 *   values that the source did not send count as 0); on a tie, the first in transaction order.
 *
 * A partial transaction (recovered after a reconnect, with no inputs or outputs) is `unknown`
 * with no names. Each address is one map lookup.
 */
export function classifyFlow(tx: TxSeen, labels: LabelLookup): Flow {
  if (tx.partial) return { type: 'unknown', from: null, to: null };
  const from = side(tx.inputs, labels);
  const to = side(tx.outputs, labels);
  return { type: TYPES[`${from.exchange}/${to.exchange}`], from: from.name, to: to.name };
}

function side(
  items: ReadonlyArray<{ address: string | null; valueSats: number | null }>,
  labels: LabelLookup,
): Side {
  // Value per labelled entity, keyed by type and name: one entity may be labelled twice.
  const totals = new Map<string, { label: Label; sats: number }>();
  for (const item of items) {
    if (item.address === null) continue;
    const label = labels.get(normalizeAddress(item.address));
    if (label === undefined) continue;
    const key = `${label.type}\u0000${label.entity}`;
    const total = totals.get(key) ?? { label, sats: 0 };
    total.sats += item.valueSats ?? 0;
    totals.set(key, total);
  }
  let best: { label: Label; sats: number } | null = null;
  let exchange = false;
  for (const total of totals.values()) {
    const isExchange = total.label.type === 'exchange';
    exchange ||= isExchange;
    const bestIsExchange = best?.label.type === 'exchange';
    if (
      best === null ||
      (isExchange && !bestIsExchange) ||
      (isExchange === bestIsExchange && total.sats > best.sats)
    ) {
      best = total;
    }
  }
  return { exchange, name: best?.label.entity ?? null };
}
