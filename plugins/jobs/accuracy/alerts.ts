import type { AccuracyChange } from '../../../src/index.js';
import type { AccuracyFigures } from './compute.js';

/** How accuracy compares with the thresholds: `ok` at or above `warning`. */
export type AccuracyLevel = 'ok' | AccuracyChange['level'];

/** What the job remembers between runs (and restarts): the alert in force, if any. */
export interface AlertState {
  /** Level of the last `accuracy.degraded` not yet followed by `accuracy.recovered`. */
  alerted: AccuracyChange['level'] | null;
  /** ISO time of the last `accuracy.degraded` (the cooldown runs from it, across recoveries). */
  alertedAt: string | null;
  /** Level of the last `accuracy.degraded`, kept after a recovery for the cooldown. */
  lastLevel?: AccuracyChange['level'] | null;
}

export const NO_ALERT: AlertState = { alerted: null, alertedAt: null, lastLevel: null };

export interface AlertSettings {
  warning: number;
  critical: number;
  cooldownMs: number;
  minSample: number;
  /** The window as configured (`7d`), reported in the events. */
  window: string;
}

/** The outcome of one evaluation. `quiet`: no event (ok, or degraded within the cooldown). */
export type Verdict =
  | { kind: 'not-enough-data' }
  | { kind: 'quiet'; level: AccuracyLevel }
  | { kind: 'accuracy.degraded' | 'accuracy.recovered'; level: AccuracyLevel; event: AccuracyChange };

const RANK: Record<AccuracyLevel, number> = { ok: 0, warning: 1, critical: 2 };

/** Level of an accuracy: below `critical` → critical, below `warning` → warning, else ok. */
export function levelOf(accuracy: number, t: { warning: number; critical: number }): AccuracyLevel {
  return accuracy < t.critical ? 'critical' : accuracy < t.warning ? 'warning' : 'ok';
}

/**
 * Decide what one run reports, and the state that follows. Pure.
 *
 * - Fewer than `minSample` scored outcomes: `not-enough-data`, state unchanged (never an alert,
 *   never a recovery).
 * - Below a threshold: `accuracy.degraded` when no alert is in force, when the level is worse
 *   than the alerted one (warning → critical escalates at once), or when the last alert is at
 *   least `cooldownMs` old (a reminder at the current level, which may be milder than the
 *   alerted one: critical easing to warning is reported as warning after the cooldown).
 *   Otherwise quiet.
 * - At or above `warning` after an alert: one `accuracy.recovered` (threshold = warning, level =
 *   the level that was alerted), and the alert is cleared.
 * - The cooldown outlives a recovery: accuracy flapping around a threshold gets at most one
 *   `accuracy.degraded` (and so one `accuracy.recovered`) per cooldown, unless it falls to a worse
 *   level than the last alert.
 */
export function evaluate(
  state: AlertState,
  figures: AccuracyFigures,
  settings: AlertSettings,
  now: Date,
): { verdict: Verdict; state: AlertState } {
  if (figures.accuracy === null || figures.sample < settings.minSample)
    return { verdict: { kind: 'not-enough-data' }, state };
  const accuracy = figures.accuracy;
  const level = levelOf(accuracy, settings);
  const base = { accuracy, window: settings.window, sample: figures.sample };

  if (level === 'ok') {
    if (state.alerted === null) return { verdict: { kind: 'quiet', level }, state };
    const event: AccuracyChange = { ...base, threshold: settings.warning, level: state.alerted };
    return {
      verdict: { kind: 'accuracy.recovered', level, event },
      state: { alerted: null, alertedAt: state.alertedAt, lastLevel: state.alerted },
    };
  }

  const since = state.alertedAt === null ? Number.NaN : now.getTime() - Date.parse(state.alertedAt);
  const last = state.alerted ?? state.lastLevel ?? null;
  const due =
    last === null || RANK[level] > RANK[last] || Number.isNaN(since) || since >= settings.cooldownMs;
  if (!due) return { verdict: { kind: 'quiet', level }, state };
  const threshold = level === 'critical' ? settings.critical : settings.warning;
  return {
    verdict: { kind: 'accuracy.degraded', level, event: { ...base, threshold, level } },
    state: { alerted: level, alertedAt: now.toISOString(), lastLevel: level },
  };
}
