import type { Eta, OutcomeRecord, PredictionRecord } from '../../../src/index.js';

/** How a confirmed whale's ETA did; both null when the whale had no ETA (see `whale.confirmed`). */
export interface EtaScore {
  /**
   * The unrounded wait (see `waitedExactMinutes`) minus `eta.p50Minutes`, 2 decimals: positive
   * when it confirmed later than the median predicted.
   */
  etaErrorMinutes: number | null;
  /** Whether the unrounded wait fell in `[eta.p10Minutes, eta.p90Minutes]` (bounds included). */
  withinEtaRange: boolean | null;
}

/**
 * A prediction as this job stores it: with the ETA the whale carried at detection, absent when it
 * had none. Kept with the prediction so a restart before the confirmation still scores it.
 */
export type Prediction = PredictionRecord & { eta?: Eta };

/**
 * An outcome as this job stores it: the ETA of its prediction (when there was one) and, when
 * confirmed, its {@link EtaScore} (nulls without an ETA).
 */
export type Outcome = OutcomeRecord & { eta?: Eta } & Partial<EtaScore>;

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * The ETA of a signal, or undefined when it has none or one that cannot be scored (a field
 * missing or not a finite number, or quantiles out of order): a detector is a plugin, and what
 * it sent is kept for days in the store.
 */
export function etaOf(value: unknown): Eta | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { blocks, p10Minutes, p50Minutes, p90Minutes } = value as Partial<Record<keyof Eta, unknown>>;
  if (!finite(blocks) || !finite(p10Minutes) || !finite(p50Minutes) || !finite(p90Minutes)) return undefined;
  if (p10Minutes > p50Minutes || p50Minutes > p90Minutes) return undefined;
  return { blocks, p10Minutes, p50Minutes, p90Minutes };
}

/** How `eta` did for a whale that waited `waited` minutes (unrounded); nulls without an ETA. */
export function scoreEta(eta: Eta | undefined, waited: number): EtaScore {
  if (eta === undefined) return { etaErrorMinutes: null, withinEtaRange: null };
  return {
    // `|| 0`: no -0 in stored records or events.
    etaErrorMinutes: Math.round((waited - eta.p50Minutes) * 100) / 100 || 0,
    withinEtaRange: waited >= eta.p10Minutes && waited <= eta.p90Minutes,
  };
}
