/**
 * The annotations detectors add to a whale signal (DESIGN §4): urgency and ETA, the change
 * rule, RBF and exchange flow. Re-exported by `events.ts` with the payloads that carry them.
 */
export type UrgencyLevel = 'low' | 'medium' | 'high' | 'critical';

/** The urgency annotation of a whale (DESIGN §4). */
export interface Urgency {
  score: number;
  level: UrgencyLevel;
  predictedBlocks: number;
  basis: string;
  congestion?: 'low' | 'medium' | 'high' | 'extreme';
  /**
   * Which fee rate the prediction used: `effective` (the package rate, CPFP-aware, when the
   * input sent one) or `own` (the transaction's fee / vsize). Absent in signals made before it
   * was recorded.
   */
  rateUsed?: 'effective' | 'own';
  /** The fee rate in sat/vB the prediction used (see `rateUsed`). */
  rate?: number;
}

/**
 * When a whale is likely to confirm: the predicted block count and the time to that many blocks
 * if blocks arrive as a Poisson process with the input's mean interval (10 min without one) — the
 * Gamma(blocks) quantiles in minutes: the median and the 10–90% range.
 */
export interface Eta {
  blocks: number;
  p10Minutes: number;
  p50Minutes: number;
  p90Minutes: number;
}

/**
 * Which change heuristic decided which outputs are change (see the whale detector):
 * `address-reuse` (an output pays back an input's address), `script-type` (one output shares the
 * inputs' script type, the others differ), `round-amount` (a round payment beside a non-round
 * remainder), `smaller-than-inputs` (one output is smaller than every input while another is
 * larger), `exchange` (an output to a labelled exchange is a payment, so the other is change),
 * or `none` (no rule applied: everything counts as transferred).
 */
export type ChangeRule =
  'address-reuse' | 'script-type' | 'round-amount' | 'smaller-than-inputs' | 'exchange' | 'none';

/** The RBF annotation of a whale. */
export interface RbfInfo {
  signaling: boolean;
  replaces: string[];
  confidence?: number;
}

export type FlowType = 'inflow' | 'outflow' | 'internal' | 'unknown';

/** The exchange-flow annotation of a whale. */
export interface Flow {
  type: FlowType;
  from: string | null;
  to: string | null;
}
