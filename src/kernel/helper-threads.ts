import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The nice value `spout run` gives its helper threads unless `kernel.helperThreadsNice` says
 * otherwise: the lowest priority, so that they run on cores the main thread and other
 * processes leave idle. Measured by the latency benchmark on two cores (2026-12-06): V8 compiles
 * hot functions on its worker threads throughout a run of 30 s (246 compilations, 2–43 ms each,
 * 0.9 s in all), and a compilation that holds one core while the benchmark holds the other keeps
 * Spout's main thread from running as soon as a whale's frame arrives. With the helpers at 19
 * the WebSocket p99 was 4.0–4.6 ms in five runs against 4.5–6.7 ms in twelve without (p95
 * 2.3–2.5 against 3.0–4.0 ms); at 10 nothing changed beyond the noise.
 */
export const HELPER_THREADS_NICE = 19;

/** How the threads of this process are listed and reprioritised (tests pass their own). */
export interface ThreadAccess {
  /** The ids of this process's threads; throws where the platform has no such list. */
  list(): number[];
  /** `setpriority(2)` on one thread (Linux schedules threads, so a thread id is accepted). */
  set(tid: number, nice: number): void;
}

const linuxThreads: ThreadAccess = {
  list: () => readdirSync('/proc/self/task').map(Number),
  set: (tid, nice) => setPriority(tid, nice),
};

/**
 * Give every thread of this process but the main one (`pid`) the nice value `nice`: V8's
 * workers (optimising compilations) and libuv's thread pool (file writes, DNS, crypto). Threads
 * the main thread starts later inherit its own priority, which is left as it is. Returns how
 * many threads were changed, 0 when `nice` is 0 (nothing is asked), or null where the platform
 * lists no threads (only Linux has `/proc/self/task`). A thread that ends meanwhile is skipped;
 * a thread the system refuses to change (a seccomp profile, say) stays as it was. Never throws.
 */
export function lowerHelperThreads(
  nice: number,
  o: { pid?: number; threads?: ThreadAccess } = {},
): number | null {
  if (nice === 0) return 0;
  const pid = o.pid ?? process.pid;
  const threads = o.threads ?? linuxThreads;
  let tids: number[];
  try {
    tids = threads.list();
  } catch {
    return null;
  }
  let changed = 0;
  for (const tid of tids) {
    if (tid === pid) continue;
    try {
      threads.set(tid, nice);
      changed++;
    } catch {
      // Gone since it was listed, or not ours to change: either way nothing to do.
    }
  }
  return changed;
}
