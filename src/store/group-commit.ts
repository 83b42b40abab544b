/**
 * Group commit, shared by the store adapters: each change is kept under its key (the newest
 * change of a document wins), changes within `delayMs` are written together, and flushes that
 * come while a write is under way share the next one — so N flushers in a burst cost two writes,
 * not N. Writes never overlap.
 *
 * Errors: a failed `write` rejects the flushes waiting for it; its changes are kept for the next
 * write (unless newer ones replaced them, or `keep(error)` says they must be dropped), and with
 * `retryMs` that next write comes by itself. Background writes (the timer's) report a failure to
 * `onError` once per run of failures.
 */
export interface GroupCommit<Op> {
  /** Record a change of `key` and schedule a write. */
  change(key: string, op: Op): void;
  /** Write what is pending now; resolves once written (including what an earlier flush began). */
  flush(): Promise<void>;
  /** Forget every pending change. */
  clear(): void;
  /** How many changes are waiting to be written (including a failed write's, kept). */
  size(): number;
  /** Stop the timer (the store is closing). */
  stop(): void;
}

export function createGroupCommit<Op>(options: {
  delayMs: number;
  /** Write one batch: every pending change, in the order first recorded. */
  write: (ops: Op[]) => Promise<void>;
  /** Whether the changes of a failed write are kept for the next one (default: always). */
  keep?: (error: unknown) => boolean;
  /** After a failed write, try again by itself after this long (default: only when asked). */
  retryMs?: number;
  onError?: (error: unknown) => void;
}): GroupCommit<Op> {
  let pending = new Map<string, Op>();
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();
  // The write that will take everything pending when it starts, once one is queued.
  let next: Promise<void> | null = null;
  let failing = false;
  let stopped = false;

  const inBackground = () =>
    void flush().then(
      () => (failing = false),
      (error: unknown) => {
        if (!failing) options.onError?.(error);
        failing = true;
      },
    );

  const writeBatch = async (): Promise<void> => {
    next = null;
    const batch = pending;
    pending = new Map();
    try {
      await options.write([...batch.values()]);
    } catch (error) {
      if (options.keep?.(error) ?? true) {
        for (const [key, op] of batch) if (!pending.has(key)) pending.set(key, op);
        // Nothing else may come to trigger a write: try again by itself.
        if (options.retryMs !== undefined && !stopped) timer ??= setTimeout(inBackground, options.retryMs);
      }
      throw error;
    }
  };

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (next) return next;
    if (pending.size === 0) return writing;
    // Chain on a settled promise: one failed write must not fail every later one.
    next = writing.catch(() => {}).then(writeBatch);
    writing = next;
    return next;
  };

  return {
    change(key, op) {
      pending.set(key, op);
      if (!stopped) timer ??= setTimeout(inBackground, options.delayMs);
    },
    flush,
    clear: () => pending.clear(),
    size: () => pending.size,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
