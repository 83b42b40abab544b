import type { AnyEnvelope } from '../bus/envelope.js';
import type { EventType, Flow } from '../bus/events.js';
import type { Filter } from '../config/kernel-schema.js';
import type { EventPattern } from '../plugin/types.js';

/** A predicate on event types for a list of patterns (`whale.detected`, `whale.*`, `*`). */
export function eventMatcher(patterns: readonly EventPattern[]): (type: EventType) => boolean {
  const exact = new Set<string>();
  const families: string[] = [];
  let all = false;
  for (const p of patterns) {
    if (p === '*') all = true;
    else if (p.endsWith('.*')) families.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (type) => all || exact.has(type) || families.some((f) => type.startsWith(f));
}

const STATUS_OF: Partial<Record<EventType, 'confirmed' | 'replaced' | 'dropped'>> = {
  'whale.confirmed': 'confirmed',
  'whale.replaced': 'replaced',
  'whale.dropped': 'dropped',
};

/**
 * Decides whether an envelope passes an output's `filter:`.
 *
 * `entity` matches a whale whose flow names one of the entities on either side; names are
 * compared by {@link entityKey} (`crypto.com`, `Crypto.com` and `cryptocom` are one).
 *
 * `status` is checked against the event itself (`whale.detected` carries its status, a
 * settlement is `confirmed`, `replaced` or `dropped`). The other conditions are on whale fields
 * and are decided on `whale.detected`; a settlement follows the decision made for its whale, so an
 * output that did not get a whale does not get its outcome either. A settlement of a whale this
 * process has not seen (detected before a restart) passes them. Other events always pass.
 * Decisions are remembered for the last `memory` whales.
 */
export function createFilter(filter: Filter | null, memory = 50_000): (envelope: AnyEnvelope) => boolean {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  const entities = filter.entity === undefined ? null : new Set(filter.entity.map(entityKey));
  const entityPasses = (flow: Flow | undefined) =>
    entities === null ||
    (flow !== undefined &&
      ((flow.from !== null && entities.has(entityKey(flow.from))) ||
        (flow.to !== null && entities.has(entityKey(flow.to)))));
  const decisions = new Map<string, boolean>();
  const remember = (txid: string, pass: boolean) => {
    decisions.set(txid, pass);
    if (decisions.size > memory) decisions.delete(decisions.keys().next().value as string);
  };
  return (envelope) => {
    if (envelope.type === 'whale.detected') {
      const w = envelope.data;
      const pass =
        (filter.minBtc === undefined || w.valueBtc >= filter.minBtc) &&
        (filter.minUsd === undefined || (w.valueUsd !== null && w.valueUsd >= filter.minUsd)) &&
        (filter.minUrgency === undefined ||
          (w.urgency !== undefined && w.urgency.score >= filter.minUrgency)) &&
        (filter.urgency === undefined ||
          (w.urgency !== undefined && filter.urgency.includes(w.urgency.level))) &&
        (filter.flow === undefined || filter.flow.includes(w.flow?.type ?? 'unknown')) &&
        entityPasses(w.flow);
      remember(w.txid, pass);
      return pass && (filter.status === undefined || filter.status.includes(w.status));
    }
    // An update of a pending whale follows the decision made for its whale, like a settlement.
    if (envelope.type === 'whale.updated')
      return (
        (filter.status === undefined || filter.status.includes('pending')) &&
        (decisions.get(envelope.data.txid) ?? true)
      );
    const status = STATUS_OF[envelope.type];
    if (status === undefined) return true;
    if (filter.status !== undefined && !filter.status.includes(status)) return false;
    return decisions.get((envelope.data as { txid: string }).txid) ?? true;
  };
}

/** An entity name as filters compare it: lower case, letters and digits only (`Crypto.com` → `cryptocom`). */
export function entityKey(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}
