import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { RejectReason } from './validate.js';

/**
 * Counts refused input per reason (`spout_input_rejected_total{instance,reason}`) and logs it at a
 * bounded rate: the first of each reason at once, then at most one summary line per reason every
 * `intervalMs`, however much arrives.
 */
export function createRejections(
  log: Logger,
  metric: Counter<'instance' | 'reason'>,
  instance: string,
  intervalMs = 10_000,
  now: () => number = Date.now,
) {
  const counts = new Map<RejectReason, number>();
  const lastLog = new Map<RejectReason, { at: number; suppressed: number }>();
  return {
    reject(reason: RejectReason, why: string) {
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
      metric.inc({ instance, reason });
      const at = now();
      const last = lastLog.get(reason);
      if (last && at - last.at < intervalMs) {
        last.suppressed++;
        return;
      }
      const suppressed = last?.suppressed ?? 0;
      lastLog.set(reason, { at, suppressed: 0 });
      log.warn(
        { reason, suppressed },
        `ignored bad input (${reason}): ${why}${suppressed ? ` (+${suppressed} more since the last report)` : ''}`,
      );
    },
    /** Totals per reason since start (for tests and /health reasons). */
    counts: () => Object.fromEntries(counts) as Partial<Record<RejectReason, number>>,
  };
}
