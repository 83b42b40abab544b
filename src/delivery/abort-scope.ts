/**
 * Signals for the calls made under one long-lived signal (an output instance's), with a single
 * listener on it instead of one per call in flight.
 *
 * A library adds an `abort` listener to the signal it is given for each call (got does, for as
 * long as the request is in flight): handed the instance's signal, every request in flight would
 * hang one on it, which took `setMaxListeners` tuned to the concurrency to keep Node from warning,
 * and a library that forgot to remove its listener would pile them up for the life of the
 * instance. With a scope the instance's signal has one listener; each call's signal dies with it.
 */
export interface AbortScope {
  /**
   * A signal of its own for one call: aborted (with the parent's reason) when the parent is, at
   * once if it already is. `release()` when the call is over; a released signal is no longer
   * aborted by the parent. Never throws.
   */
  open(): { signal: AbortSignal; release(): void };
  /** Calls opened and not yet released. */
  size(): number;
}

/** Child signals of `parent`; see {@link AbortScope}. */
export function createAbortScope(parent: AbortSignal): AbortScope {
  const open = new Set<AbortController>();
  parent.addEventListener(
    'abort',
    () => {
      for (const controller of open) controller.abort(parent.reason);
      open.clear();
    },
    { once: true },
  );
  return {
    open() {
      const controller = new AbortController();
      if (parent.aborted) controller.abort(parent.reason);
      else open.add(controller);
      return { signal: controller.signal, release: () => void open.delete(controller) };
    },
    size: () => open.size,
  };
}
