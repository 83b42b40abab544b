import type { WhaleConfirmed } from '../bus/events.js';
import type { OutcomeRecord } from '../store/records.js';

/**
 * The ETA figures the correlation job stores on a confirmed whale's outcome (as on its
 * `whale.confirmed`): null or absent when the whale had no ETA.
 */
export type EtaScored = Pick<WhaleConfirmed, 'etaErrorMinutes' | 'withinEtaRange'>;

/** How honest the ETAs were: confirmed whales with an ETA, judged against their actual wait. */
export interface EtaCalibration {
  /** Confirmed whales whose outcome was scored against an ETA (both figures present). */
  confirmedWithEta: number;
  /** How many of them confirmed within the ETA's 10–90% range. */
  withinRange: number;
  /**
   * `withinRange / confirmedWithEta`, 4 decimals: about 0.8 when the ETAs are honest (lower: the
   * ranges are too narrow or off; higher: too wide). Null when no whale had an ETA.
   */
  withinRangeShare: number | null;
  /** The median of `|etaErrorMinutes|`, 2 decimals; null when no whale had an ETA. */
  medianAbsErrorMinutes: number | null;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The median of `xs` (sorted here; the mean of the middle two for an even count). */
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The {@link EtaCalibration} of `outcomes`: only confirmed ones with a finite `etaErrorMinutes`
 * and a boolean `withinEtaRange` count (whales without an ETA, and outcomes stored before ETAs
 * were scored, are left out).
 */
export function etaCalibration(outcomes: Iterable<OutcomeRecord & EtaScored>): EtaCalibration {
  const errors: number[] = [];
  let withinRange = 0;
  for (const o of outcomes) {
    if (o.status !== 'confirmed' || typeof o.withinEtaRange !== 'boolean') continue;
    if (typeof o.etaErrorMinutes !== 'number' || !Number.isFinite(o.etaErrorMinutes)) continue;
    errors.push(Math.abs(o.etaErrorMinutes));
    if (o.withinEtaRange) withinRange++;
  }
  const n = errors.length;
  return {
    confirmedWithEta: n,
    withinRange,
    withinRangeShare: n === 0 ? null : round(withinRange / n, 4),
    medianAbsErrorMinutes: n === 0 ? null : round(median(errors), 2),
  };
}
