import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { RejectKind } from './frames.js';

/**
 * Counts bad input per kind and logs it at a bounded rate: the first of each kind at once, then
 * at most one summary line per kind every `intervalMs`, however much arrives.
 */
export function createRejections(
  log: Logger,
  metric: Counter<'instance' | 'kind'>,
  instance: string,
  intervalMs = 10_000,
) {
  const counts = new Map<RejectKind, number>();
  const lastLog = new Map<RejectKind, { at: number; suppressed: number }>();
  return {
    reject(kind: RejectKind, why: string) {
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      metric.inc({ instance, kind });
      const now = Date.now();
      const last = lastLog.get(kind);
      if (last && now - last.at < intervalMs) {
        last.suppressed++;
        return;
      }
      const suppressed = last?.suppressed ?? 0;
      lastLog.set(kind, { at: now, suppressed: 0 });
      log.warn(
        { kind, suppressed },
        `ignored bad input (${kind}): ${why}${suppressed ? ` (+${suppressed} more since the last report)` : ''}`,
      );
    },
    /** Totals per kind since start (for tests and /health reasons). */
    counts: () => Object.fromEntries(counts) as Partial<Record<RejectKind, number>>,
  };
}
