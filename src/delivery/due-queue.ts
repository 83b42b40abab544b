import { createDueHeap } from './due-heap.js';

/** Node's longest timer; a later due time is re-checked when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a {@link createDueQueue} runs, and the hooks that make it one worker's queue. */
export interface DueQueueOptions {
  /** Most tasks running at once (1 or more); a due key waits for a free slot. */
  concurrency: number;
  /**
   * The work for a key that has come due. Its synchronous part runs inside the call that started
   * it ({@link DueQueue.pump} or the timer). The key stays queued while it runs, so the task
   * decides what happens to it: {@link DueQueue.delete} it when done, or {@link DueQueue.set} a
   * new due time. A key left queued with a due time already past is started again by the next pump.
   */
  run(key: string): Promise<void>;
  /**
   * Told of a task that threw or rejected; the queue goes on with the other keys. Must not throw.
   * The key stays where the task left it.
   */
  onError(error: unknown, key: string): void;
  /**
   * The earliest time (ms) a key may start, given its due time: a worker's pacing. The due time
   * itself by default. Asked again for every waiting key on every pump, so it may change.
   */
  readyAt?(key: string, due: number): number;
  /** Called after each task has settled (and after `onError`), before the queue looks for more work. */
  onSettled?(key: string): void;
}

/**
 * Keys with a due time, run by one timer and at most `concurrency` tasks at a time.
 *
 * - **Order**: of the keys ready (`readyAt` ≤ now, not running), the earliest ready time starts
 *   first; equal times start in the order the keys were added (setting a queued key again moves
 *   its time, not its place; a deleted key set again goes last).
 * - **Timer**: one `setTimeout`, unref'd (it never keeps the process alive), armed for the
 *   earliest key not yet ready, and only while a slot is free to run it: when every slot is
 *   busy, the next task to settle pumps again. A key set earlier than the armed time only takes
 *   effect on the next {@link DueQueue.pump}. A time past Node's longest timer (~24.8 days) is
 *   checked again when that fires.
 * - **Tasks**: a key is never run twice at once; a task that throws is reported to `onError` and
 *   frees its slot like any other.
 * - Nothing runs before {@link DueQueue.start} nor after {@link DueQueue.stop}.
 */
export interface DueQueue {
  /** Queue a key, or move a queued one, to due time `due` (ms since the epoch). Starts nothing. */
  set(key: string, due: number): void;
  /** Forget a key; a task running for it goes on. Whether it was queued. */
  delete(key: string): boolean;
  /** Whether a key is queued (running keys included until their task deletes them). */
  has(key: string): boolean;
  /** Keys queued, running ones included until their task deletes them. */
  size(): number;
  /** Forget every key and disarm the timer; the keys that were queued. Running tasks go on. */
  clear(): string[];
  /** Whether a task for this key is running. */
  running(key: string): boolean;
  /** Tasks running. */
  inFlight(): number;
  /** Allow tasks from now on (not after {@link DueQueue.stop}), and pump. */
  start(): void;
  /**
   * Start what is ready, in order, while slots are free, then arm the timer for the next key.
   * A no-op before start, after stop, or while every slot is busy.
   */
  pump(): void;
  /** For good: disarm the timer and start no task again. Running tasks go on; see {@link DueQueue.flush}. */
  stop(): void;
  /**
   * Resolves once every task running at the call has settled (immediately when none is); never
   * rejects. Tasks started later are not waited for; call it after {@link DueQueue.stop} to drain.
   */
  flush(): Promise<void>;
}

/** A {@link DueQueue}: the due-time mechanism shared by the delivery workers, which keep their policy. */
export function createDueQueue(options: DueQueueOptions): DueQueue {
  const { concurrency, onError } = options;
  const readyAt = options.readyAt;
  /** Key → due time (ms); Map order breaks ties. */
  const queue = new Map<string, number>();
  // Ready at the due time itself: found through a heap, not by scanning every key on each pump.
  const heap = readyAt ? null : createDueHeap();
  /** Running key → resolves once its task has settled. */
  const running = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let started = false;
  let stopped = false;

  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };

  const call = (key: string): Promise<void> => {
    try {
      return options.run(key);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const launch = (key: string): void => {
    let settled!: () => void;
    // Held before the task's synchronous part, so a pump from inside it cannot start the key again.
    running.set(key, new Promise<void>((resolve) => (settled = resolve)));
    void call(key)
      .catch((error: unknown) => onError(error, key))
      .finally(() => {
        running.delete(key);
        // Left queued by its task (neither deleted nor set again): due again at its time.
        heap?.restore(key);
        try {
          options.onSettled?.(key);
          pump();
        } finally {
          settled();
        }
      });
  };

  /** Every queued key's ready time asked (`readyAt` may change): what is ready, earliest first. */
  const scan = (now: number) => {
    let next = Infinity;
    const ready: Array<[string, number]> = [];
    for (const [key, due] of queue) {
      if (running.has(key)) continue;
      const at = readyAt!(key, due);
      if (at <= now) ready.push([key, at]);
      else if (at < next) next = at;
    }
    ready.sort((a, b) => a[1] - b[1]);
    return { ready: ready.map(([key]) => key), next };
  };

  const pump = (): void => {
    if (!started || stopped) return;
    // Every slot busy: the next completion pumps again (scanning now would only cost time).
    if (running.size >= concurrency) return;
    disarm();
    const now = Date.now();
    const { ready, next } = heap
      ? heap.take(now, concurrency - running.size, (key) => running.has(key))
      : scan(now);
    // Asked again each time: a task's synchronous part may have pumped (and started keys) itself.
    for (const key of ready) {
      if (running.size < concurrency && !running.has(key)) launch(key);
      // Taken from the heap but not started (a nested pump filled the slots): offered again.
      else heap?.restore(key);
    }
    if (running.size < concurrency && next !== Infinity) {
      timer = setTimeout(pump, Math.min(next - now, MAX_TIMER_MS));
      timer.unref?.();
    }
  };

  return {
    set(key, due) {
      queue.set(key, due);
      heap?.set(key, due);
    },
    delete(key) {
      heap?.delete(key);
      return queue.delete(key);
    },
    has: (key) => queue.has(key),
    size: () => queue.size,
    clear() {
      const keys = [...queue.keys()];
      queue.clear();
      heap?.clear();
      disarm();
      return keys;
    },
    running: (key) => running.has(key),
    inFlight: () => running.size,
    start() {
      started = true;
      pump();
    },
    pump,
    stop() {
      stopped = true;
      disarm();
    },
    flush: () => Promise.all([...running.values()]).then(() => undefined),
  };
}
