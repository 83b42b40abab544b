import type { Logger } from 'pino';
import type { ConnectFailure } from './connection.js';

/** A time without a connection: since when (wall clock, for display; measured on a monotonic one). */
interface Outage {
  readonly since: string;
  readonly startedAt: number;
  /** What began it: the start of the input, or the loss of the connection and why. */
  readonly began: string;
  failures: number;
  last: ConnectFailure | null;
  /** Failure reasons already logged at WARN in this outage. */
  readonly warned: Set<string>;
  /** It has lasted `unhealthyAfter`: the instance is unhealthy and ERRORs are logged. */
  unhealthy: boolean;
}

export interface Outages {
  begin(began: string): void;
  failed(failure: ConnectFailure): void;
  lost(cause: string, retryInMs: number): void;
  connected(opens: number): void;
  current(): Outage | null;
  /** Since when and why, for `/health` (the board scrubs secrets; the URL has no credentials). */
  describe(outage: Outage): string;
  stop(): void;
}

const MAX_TIMER = 2 ** 31 - 1;
const HOUR = 3_600_000;

/** `850 ms`, `12.5 s`, `2 min 5 s`, `3 h 12 min`. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.floor(s / 60) % 60;
  return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ''}`;
}

/**
 * Track the times without a connection. The first failure of each kind in an outage is a WARN
 * with the URL and the cause (later ones of that kind: debug). Once an outage has lasted
 * `unhealthyAfterMs` (timers and a monotonic clock: wall-clock jumps do not count), the instance
 * turns unhealthy and an ERROR is logged; again each time the outage's length doubles, at most
 * hourly, until the connection is back (INFO).
 */
export function createOutages(options: {
  url: string;
  unhealthyAfterMs: number;
  log: Logger;
  unhealthy(reason: string): void;
}): Outages {
  const { url, log } = options;
  const now = () => performance.now();
  let outage: Outage | null = null;
  let timer: NodeJS.Timeout | null = null;
  let everConnected = false;

  const clearTimer = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const arm = (ms: number) => {
    clearTimer();
    timer = setTimeout(escalate, Math.min(Math.max(0, ms), MAX_TIMER));
  };
  const attempts = (o: Outage) =>
    `${o.failures} failed attempt(s)${o.last ? `, last: ${o.last.message} (${o.last.reason})` : ''}`;
  const describe = (o: Outage) => `not connected to ${url} since ${o.since} (${o.began}); ${attempts(o)}`;

  const escalate = () => {
    timer = null;
    const o = outage;
    if (!o) return;
    const elapsed = now() - o.startedAt;
    o.unhealthy = true;
    options.unhealthy(describe(o));
    log.error(
      {
        url,
        since: o.since,
        downMs: Math.round(elapsed),
        failures: o.failures,
        ...(o.last ? { reason: o.last.reason, cause: o.last.message } : {}),
      },
      `no connection to ${url} for ${formatDuration(elapsed)} (since ${o.since}, ${o.began}); ${attempts(o)}`,
    );
    // Again when the outage has doubled: at least 1 s apart (unhealthyAfter may be 0), at most an hour.
    arm(Math.max(1000, Math.min(elapsed, HOUR)));
  };

  const begin = (began: string) => {
    if (outage) return;
    outage = {
      since: new Date().toISOString(),
      startedAt: now(),
      began,
      failures: 0,
      last: null,
      warned: new Set(),
      unhealthy: false,
    };
    arm(options.unhealthyAfterMs);
  };

  return {
    begin,
    failed(failure) {
      begin('input started');
      const o = outage as Outage;
      o.failures++;
      o.last = failure;
      const fields = { url, reason: failure.reason, cause: failure.message, retryInMs: failure.retryInMs };
      const text = `cannot connect to ${url}: ${failure.message} (${failure.reason}); retrying in ${formatDuration(failure.retryInMs)}`;
      if (o.warned.has(failure.reason)) log.debug(fields, text);
      else {
        o.warned.add(failure.reason);
        log.warn(fields, text);
      }
    },
    lost(cause, retryInMs) {
      log.warn(
        { url, cause, retryInMs },
        `connection to ${url} lost: ${cause}; reconnecting in ${formatDuration(retryInMs)}`,
      );
      begin(`connection lost: ${cause}`);
    },
    connected(opens) {
      const o = outage;
      outage = null;
      clearTimer();
      const first = !everConnected;
      everConnected = true;
      if (!o) return;
      const downMs = now() - o.startedAt;
      const text = first
        ? `connected to ${url}${o.failures > 0 ? ` after ${formatDuration(downMs)} (${o.failures} failed attempt(s))` : ''}`
        : `reconnected to ${url} after ${formatDuration(downMs)} (${o.failures} failed attempt(s))`;
      log.info({ url, opens, downMs: Math.round(downMs), failures: o.failures }, text);
    },
    current: () => outage,
    describe,
    stop() {
      clearTimer();
      outage = null;
    },
  };
}
