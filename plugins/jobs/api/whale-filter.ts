// The routing filter's own comparison, so `entity=` here and `filter: { entity }` on an output agree.
import { entityKey, type FlowType, type UrgencyLevel } from '../../../src/index.js';
import type { ApiWhale } from './whales.js';

export const FLOW_TYPES: readonly FlowType[] = ['inflow', 'outflow', 'internal', 'unknown'];
export const URGENCY_LEVELS: readonly UrgencyLevel[] = ['low', 'medium', 'high', 'critical'];

/** The annotation conditions of `/api/whales` (`flow`, `entity`, `urgency`), parsed. */
export interface AnnotationFilter {
  /** Flow types to keep; a whale without a flow annotation is `unknown`. */
  flow?: ReadonlySet<FlowType>;
  /** Entity names as {@link entityKey} makes them; either side of the whale's flow must be one. */
  entities?: ReadonlySet<string>;
  /** Urgency levels to keep; a whale without urgency never passes. */
  urgency?: ReadonlySet<UrgencyLevel>;
}

/**
 * True when `w` passes every condition of `f`, with the semantics of an output's `filter:` (see
 * `createFilter`), applied to the whale as the API shows it: its urgency is the latest one (a
 * `whale.updated` replaces it), and a whale known only from the correlation job's records (its
 * signal not kept) has neither flow nor urgency.
 */
export function annotationsMatch(w: ApiWhale, f: AnnotationFilter): boolean {
  if (f.flow && !f.flow.has(w.flow?.type ?? 'unknown')) return false;
  if (f.urgency && (w.urgency === undefined || !f.urgency.has(w.urgency.level))) return false;
  if (f.entities) {
    const { from = null, to = null } = w.flow ?? {};
    if (
      !(from !== null && f.entities.has(entityKey(from))) &&
      !(to !== null && f.entities.has(entityKey(to)))
    )
      return false;
  }
  return true;
}
