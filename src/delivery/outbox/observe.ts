import ms from 'ms';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../../plugin/metrics.js';
import type { HealthState } from '../../plugin/types.js';
import type { DeliveryAttempt, OutboxRecord } from './record.js';

/** The 410 reason shown by `/health` and logged. */
export const GONE_REASON = 'endpoint answered 410 Gone: disabled; fix the URL and reload (SIGHUP)';

/** What the worker reports: metrics, health and the log lines that go with them. */
export interface Observer {
  /** One attempt finished (not one aborted by shutdown). */
  attempt(latencyMs: number): void;
  /** `n` deliveries reached an outcome. */
  outcome(outcome: DeliveryAttempt['outcome'], n?: number): void;
  /** Pending records now. */
  depth(pending: number): void;
  /**
   * An attempt failed (`why`: "HTTP 503", "timed out after 15000 ms", …): logged, and the
   * instance is degraded unless already unhealthy. `next` null: the delivery is dead.
   */
  failed(why: string, details: Record<string, unknown>, next: Date | null, delayMs: number): void;
  /** An attempt succeeded: healthy again, unless disabled. */
  succeeded(details: Record<string, unknown>): void;
  /** The endpoint answered 410. */
  gone(details: Record<string, unknown>): void;
  /** Deliveries of a disabled endpoint were retried on request: it is tried again. */
  reenabled(): void;
  /**
   * `incoming` has the id of another event already in the outbox (`existing`): logged and
   * counted; it is delivered under `deliveredAs` instead of being taken for a replay.
   */
  collision(incoming: { id: string; type: string }, existing: OutboxRecord, deliveredAs: string): void;
}

export function createOutboxObserver(deps: {
  instance: string;
  /** Names the metrics (`spout_<channel>_…`) and log lines. */
  channel: 'webhook' | 'email';
  metrics: Registry;
  health: { set(state: HealthState, reason?: string): void };
  log: Logger;
}): Observer {
  const { instance, log, channel } = deps;
  const what = channel === 'email' ? 'e-mail' : 'webhook';
  const deliveries = counter(
    deps.metrics,
    `spout_${channel}_deliveries_total`,
    `${what} attempts by outcome (delivered, retry, dead, disabled).`,
    ['instance', 'outcome'],
  );
  const attempts = counter(deps.metrics, `spout_${channel}_attempts_total`, `${what} attempts made.`, [
    'instance',
  ]);
  const latency = histogram(
    deps.metrics,
    `spout_${channel}_latency_seconds`,
    `Time from request to response (or error) of a ${what} attempt.`,
    ['instance'],
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
  );
  const depth = gauge(deps.metrics, 'spout_outbox_depth', 'Outbox records waiting for delivery.', [
    'instance',
  ]);
  const collisions = counter(
    deps.metrics,
    'spout_outbox_id_collisions_total',
    'Events that arrived with the id of another event already in the outbox (delivered apart, under an id of their own).',
    ['instance'],
  );
  let state: HealthState = 'healthy';
  const set = (next: HealthState, reason?: string) => {
    state = next;
    deps.health.set(next, reason);
  };

  return {
    attempt(latencyMs) {
      attempts.inc({ instance });
      latency.observe({ instance }, latencyMs / 1000);
    },
    outcome(outcome, n = 1) {
      if (n > 0) deliveries.inc({ instance, outcome }, n);
    },
    depth(pending) {
      depth.set({ instance }, pending);
    },
    failed(why, details, next, delayMs) {
      if (state !== 'unhealthy') set('degraded', `last delivery failed: ${why}`);
      if (next)
        log.warn(
          { ...details, nextAttemptAt: next.toISOString() },
          `${what} attempt ${String(details.attempt)} failed (${why}); next in ${ms(delayMs)}`,
        );
      else
        log.warn(
          details,
          `${what} delivery dead after ${String(details.attempt)} attempts (${why}); kept for a retry`,
        );
    },
    succeeded(details) {
      if (state === 'degraded') set('healthy');
      log.debug(details, `${what} delivered`);
    },
    gone(details) {
      set('unhealthy', GONE_REASON);
      log.error(details, GONE_REASON);
    },
    collision(incoming, existing, deliveredAs) {
      collisions.inc({ instance });
      const stored = describeStored(existing);
      const arriving = describe(incoming);
      log.warn(
        { eventId: incoming.id, existing: stored, incoming: arriving, deliveredAs },
        `event id collision: ${incoming.id} is held by ${said(stored)} (outbox ${existing.id}); ${said(arriving)} is another event: delivered apart as ${deliveredAs}`,
      );
    },
    reenabled() {
      set('degraded', 'endpoint re-enabled by a retry request after 410 Gone; waiting for a delivery');
      log.info('endpoint re-enabled by a retry request after 410 Gone');
    },
  };
}

/** Type, source and time of an envelope, for a log line (what a digest or other item has of them). */
function describe(e: { type: string; source?: unknown; time?: unknown }): Record<string, string> {
  const d: Record<string, string> = { type: e.type };
  if (typeof e.source === 'string') d.source = e.source;
  if (typeof e.time === 'string') d.time = e.time;
  return d;
}

/** {@link describe} for a stored record: a webhook body is the envelope, other bodies are not. */
function describeStored(record: OutboxRecord): Record<string, string> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = null;
  }
  const e = body && typeof body === 'object' && (body as { id?: unknown }).id === record.eventId ? body : {};
  return { ...describe({ ...(e as object), type: record.eventType }), recorded: record.createdAt };
}

const said = (d: Record<string, string>): string =>
  [d.type, d.source && `from ${d.source}`, d.time && `at ${d.time}`].filter(Boolean).join(' ');
