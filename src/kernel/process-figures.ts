import { totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/**
 * What the process's memory may grow to: `cgroup` (the container's limit, from
 * `process.constrainedMemory()`) or `heap` (V8's heap size limit, when no container limit applies).
 */
export interface MemoryFigures {
  rssBytes: number;
  heapUsedBytes: number;
  limitBytes: number;
  limitSource: 'cgroup' | 'heap';
}

/** Event-loop lag in milliseconds (0.1 ms steps): how much later than due a timer ran. */
export interface LagFigures {
  p50: number;
  p99: number;
  max: number;
}

/**
 * The limit to show beside the RSS: the container's limit when there is one, else V8's heap
 * limit. libuv reports "no limit" as 0 or as a huge number (2^64 on cgroup v2's `max`), so a
 * limit counts only when it is below the machine's memory.
 */
export function memoryLimit(
  constrainedBytes: number | undefined,
  totalBytes: number,
  heapLimitBytes: number,
): Pick<MemoryFigures, 'limitBytes' | 'limitSource'> {
  return constrainedBytes !== undefined && constrainedBytes > 0 && constrainedBytes < totalBytes
    ? { limitBytes: constrainedBytes, limitSource: 'cgroup' }
    : { limitBytes: heapLimitBytes, limitSource: 'heap' };
}

/** The process's memory now. */
export function memoryFigures(): MemoryFigures {
  const { rss, heapUsed } = process.memoryUsage();
  return {
    rssBytes: rss,
    heapUsedBytes: heapUsed,
    ...memoryLimit(process.constrainedMemory(), totalmem(), getHeapStatistics().heap_size_limit),
  };
}

/** Event-loop delay, measured while the monitor runs. */
export interface LagMonitor {
  /**
   * The delay over the last one to two windows: per figure, the worse of the last complete
   * window and the current one (so a stall shows at once and for at least a window, whoever
   * reads it and how often). Null before the first sample.
   */
  read(): LagFigures | null;
  /** Close the current window and start the next (call it every window). */
  rotate(): void;
  /** Stop measuring. */
  stop(): void;
}

const RESOLUTION_MS = 20;
// Node's histogram records the whole time between its timer's runs, the interval included (an
// idle loop shows 20 ms): the lag is what exceeds the interval.
const lagMs = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);

/**
 * Start measuring the event-loop delay (`perf_hooks.monitorEventLoopDelay`, sampled every 20 ms):
 * how much later than due a timer ran.
 */
export function createLagMonitor(): LagMonitor {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let previous: LagFigures | null = null;
  const current = (): LagFigures | null =>
    histogram.count === 0
      ? null
      : {
          p50: lagMs(histogram.percentile(50)),
          p99: lagMs(histogram.percentile(99)),
          max: lagMs(histogram.max),
        };
  return {
    read() {
      const now = current();
      if (!previous || !now) return now ?? previous;
      return {
        p50: Math.max(previous.p50, now.p50),
        p99: Math.max(previous.p99, now.p99),
        max: Math.max(previous.max, now.max),
      };
    },
    rotate() {
      previous = current();
      histogram.reset();
    },
    stop: () => histogram.disable(),
  };
}
