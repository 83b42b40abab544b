import type { Logger } from 'pino';

/** V8's collector as `--expose-gc` gives it (`globalThis.gc`): what the settling needs of it. */
export type CollectGarbage = (options: { type: 'major'; execution: 'async' }) => unknown;

/** How long after start-up the process settles (start-up's collections are over by then). */
export const SETTLE_AFTER_MS = 5_000;

/**
 * Once, `afterMs` after start: one major collection. `execution: 'async'` only schedules it as
 * a task of its own; it is made in one go (a pause of 18–28 ms, once, measured with `--trace-gc`
 * in the latency benchmark). Start-up (loading modules, compiling schemas) grows V8's young
 * generation to its cap, 32 MB with the launchers' 16 MB semi-space, and only V8's memory
 * reducer gives it back. The reducer is armed by a full collection and runs about 8 s later if
 * allocation is low; armed during start-up, it found allocation high and was not armed again on
 * a quiet feed, which left idle RSS at 100 MiB instead of about 80 in half the runs. This
 * collection arms it once start-up is over (an explicit collection does not shrink the young
 * generation itself). Without `gc` (node started without `--expose-gc`, which every launcher
 * passes: HEAP_FLAGS) nothing happens. The timer does not keep the process alive; `stop()`
 * cancels it.
 */
export function settleAfterStart(o: { gc: CollectGarbage | undefined; log: Logger; afterMs?: number }): {
  stop(): void;
} {
  const { gc, log } = o;
  if (typeof gc !== 'function') {
    log.debug('settling after start-up skipped: node was started without --expose-gc (see HEAP_FLAGS)');
    return { stop: () => {} };
  }
  const timer = setTimeout(() => {
    void Promise.resolve()
      .then(() => gc({ type: 'major', execution: 'async' }))
      .then(
        () =>
          log.debug(
            "settled after start-up: a full collection, after which V8's memory reducer gives back what start-up grew",
          ),
        (error: unknown) => log.debug({ err: error }, 'settling after start-up failed'),
      );
  }, o.afterMs ?? SETTLE_AFTER_MS);
  timer.unref();
  return { stop: () => clearTimeout(timer) };
}
