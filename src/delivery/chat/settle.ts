import { jittered } from '../outbox/policy.js';
import type { ChatFailure } from './failure.js';
import type { ChatOutcomeLabel } from './observe.js';
import type { TargetState } from './record.js';

/** What a failed post or edit leads to; the worker applies it. */
export interface Settlement {
  /** The chat's new state, from its newest copy. */
  target(t: TargetState): TargetState;
  outcome: ChatOutcomeLabel;
  /** The instance is degraded for this reason (unless unhealthy). */
  degraded?: string;
  /** Stop sending until a reload, for this reason (logged by the worker). */
  disable?: string;
  log?: { level: 'warn' | 'error'; fields: Record<string, unknown>; message: string };
}

/**
 * The failure policy, pure. `attempts` counts the failed attempts before this one.
 * - A 5xx (not 503) answer to a post counts as `ambiguous`: a gateway may fail after the
 *   message was made.
 * - `ambiguous` post → `unknown`, never posted again; an ambiguous edit is retried (edits are
 *   idempotent).
 * - `retry` → the next delay of the schedule (±20%), at least `retryAfterMs`; after the last,
 *   given up (a post `dead`, an edit skipped for this version).
 * - `refused` → given up at once; `missing` (message deleted) → edit given up.
 * - `unauthorized` / `gone` → the post stays pending and the instance stops sending.
 */
export function settle(
  input: ChatFailure,
  action: 'post' | 'edit',
  version: number,
  attempts: number,
  scheduleMs: readonly number[],
  now: Date,
  random: () => number,
): Settlement {
  const failure: ChatFailure =
    action === 'post' &&
    input.kind === 'retry' &&
    input.status !== undefined &&
    input.status >= 500 &&
    input.status !== 503
      ? { ...input, kind: 'ambiguous' }
      : input;
  const error = failure.message;
  const giveUp = (t: TargetState): TargetState =>
    action === 'post'
      ? { ...t, status: 'dead', nextAttemptAt: null, lastError: error }
      : { ...t, syncedVersion: version, attempts: 0, nextAttemptAt: null, lastError: error };
  switch (failure.kind) {
    case 'not-modified':
      return { target: (t) => t, outcome: 'ok' };
    case 'missing':
      return {
        target: giveUp,
        outcome: 'skipped',
        log: {
          level: 'warn',
          fields: { error },
          message: 'the message to edit no longer exists; edit given up',
        },
      };
    case 'unauthorized':
    case 'gone':
      return {
        target: (t) => ({ ...t, status: action === 'post' ? 'pending' : t.status, lastError: error }),
        outcome: 'retry',
        disable: error,
      };
    case 'ambiguous':
      if (action === 'post')
        return {
          target: (t) => ({ ...t, status: 'unknown', nextAttemptAt: null, lastError: error }),
          outcome: 'unknown',
          degraded: `a post may not have arrived: ${error}`,
          log: {
            level: 'warn',
            fields: { error },
            message: `chat post failed mid-request (${error}); it may or may not have arrived, and is not posted again so it cannot appear twice`,
          },
        };
    // An edit can be repeated safely.
    // falls through
    case 'retry':
    case 'refused': {
      const n = attempts + 1;
      const scheduled = failure.kind === 'refused' ? undefined : scheduleMs[n - 1];
      if (scheduled === undefined)
        return {
          target: (t) => ({ ...giveUp(t), attempts: n }),
          outcome: 'dead',
          degraded: `a ${action} failed: ${error}`,
          log: {
            level: 'error',
            fields: { attempts: n, error },
            message:
              failure.kind === 'refused'
                ? `chat ${action} refused: ${error}`
                : `chat ${action} given up after ${n} attempts: ${error}`,
          },
        };
      const delay = Math.max(jittered(scheduled, random), failure.retryAfterMs ?? 0);
      const next = new Date(now.getTime() + delay).toISOString();
      return {
        target: (t) => ({
          ...t,
          status: action === 'post' ? 'pending' : t.status,
          attempts: n,
          nextAttemptAt: next,
          lastError: error,
        }),
        outcome: 'retry',
        degraded: `a ${action} failed: ${error}`,
        log: {
          level: 'warn',
          fields: { attempt: n, error, nextAttemptAt: next },
          message: `chat ${action} failed (${error}); trying again in ${Math.round(delay / 1000)} s`,
        },
      };
    }
  }
}
