/**
 * The retry policy, pure: what a response (or a failed request) means, and when to try again.
 */

/** Delays before the 1st, 2nd, … retry: about 5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 10 h (8 attempts). */
export const DEFAULT_SCHEDULE = ['5s', '5m', '30m', '2h', '5h', '10h', '10h'] as const;

/** Each scheduled delay varies by up to ±20%, so endpoints that failed together do not retry together. */
export const JITTER = 0.2;

/** What one attempt got: a status (and its `Retry-After`), or an error (network, timeout). */
export interface AttemptResult {
  statusCode?: number;
  retryAfter?: string;
  error?: string;
}

/** One attempt as a channel's sender reports it. Senders never throw. */
export interface SendResult extends AttemptResult {
  latencyMs: number;
  /** True when the instance's signal aborted the attempt: not an attempt the endpoint saw through. */
  aborted?: boolean;
}

/**
 * - `delivered`: 2xx.
 * - `retry`: network error, timeout, 408, 429, 5xx: the endpoint may accept it later.
 * - `failure`: 1xx, 3xx (redirects are not followed) and other 4xx: the endpoint refused it.
 * - `gone`: 410: the endpoint no longer exists; it is disabled.
 *
 * `retry` and `failure` are both failed attempts and follow the schedule; the distinction is
 * for the log.
 */
export type Verdict = 'delivered' | 'retry' | 'failure' | 'gone';

export function classify(result: AttemptResult): Verdict {
  const s = result.statusCode;
  if (s === undefined) return 'retry';
  if (s >= 200 && s < 300) return 'delivered';
  if (s === 410) return 'gone';
  if (s === 408 || s === 429 || s >= 500) return 'retry';
  return 'failure';
}

/**
 * Milliseconds a `Retry-After` header asks to wait: delay-seconds or an HTTP date (0 when the
 * date has passed); null when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  const v = value?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return null;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** `ms` ± {@link JITTER}, for `random()` in [0, 1). */
export function jittered(ms: number, random: () => number): number {
  return Math.round(ms * (1 - JITTER + 2 * JITTER * random()));
}

/** The longest wait a `Retry-After` may impose: twice the schedule's longest delay. */
export function retryAfterCap(scheduleMs: readonly number[]): number {
  return 2 * Math.max(0, ...scheduleMs);
}

/** What happens to a delivery after an attempt. */
export type Plan =
  | { outcome: 'delivered' }
  | { outcome: 'disabled' }
  | { outcome: 'retry'; delayMs: number; verdict: 'retry' | 'failure' }
  | { outcome: 'dead'; verdict: 'retry' | 'failure' };

/**
 * Decide after attempt number `attempts` (1 for the first). A failed attempt is retried after
 * `scheduleMs[attempts - 1]` with jitter, or after `Retry-After` when the response has one
 * (as given, capped by {@link retryAfterCap}); once `1 + scheduleMs.length` attempts have
 * failed the delivery is dead.
 */
export function plan(
  result: AttemptResult,
  attempts: number,
  scheduleMs: readonly number[],
  now: number,
  random: () => number = Math.random,
  judge: (result: AttemptResult) => Verdict = classify,
): Plan {
  const verdict = judge(result);
  if (verdict === 'delivered') return { outcome: 'delivered' };
  if (verdict === 'gone') return { outcome: 'disabled' };
  const scheduled = scheduleMs[attempts - 1];
  if (scheduled === undefined) return { outcome: 'dead', verdict };
  const asked = parseRetryAfter(result.retryAfter, now);
  const delayMs = asked === null ? jittered(scheduled, random) : Math.min(asked, retryAfterCap(scheduleMs));
  return { outcome: 'retry', delayMs, verdict };
}
