import { describe, expect, it, vi } from 'vitest';

// The memory limit chosen, and the event-loop lag windows, on a histogram the test fills.

const fake = vi.hoisted(() => {
  let samples: number[] = []; // ns
  const at = (p: number) => {
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  };
  return {
    enabled: false,
    record: (...ms: number[]) => void samples.push(...ms.map((m) => m * 1e6)),
    histogram: {
      enable: () => void (fake.enabled = true),
      disable: () => void (fake.enabled = false),
      reset: () => void (samples = []),
      percentile: at,
      get count() {
        return samples.length;
      },
      get max() {
        return samples.length === 0 ? 0 : Math.max(...samples);
      },
    },
  };
});
vi.mock('node:perf_hooks', async (original) => ({
  ...(await original<typeof import('node:perf_hooks')>()),
  monitorEventLoopDelay: () => (fake.histogram.reset(), fake.histogram),
}));

const { createLagMonitor, memoryFigures, memoryLimit } = await import('../../src/kernel/process-figures.js');

const GB = 2 ** 30;

describe('REST API status: the memory limit', () => {
  it('the container limit when below the machine memory, else the V8 heap limit', () => {
    expect(memoryLimit(2 * GB, 16 * GB, 4 * GB)).toEqual({ limitBytes: 2 * GB, limitSource: 'cgroup' });
    // No limit: 0, undefined (an older Node), or a huge number (cgroup v2 `max`), or the machine's own.
    for (const none of [0, undefined, 2 ** 64, 16 * GB])
      expect(memoryLimit(none, 16 * GB, 4 * GB)).toEqual({ limitBytes: 4 * GB, limitSource: 'heap' });
  });

  it('reads this process', () => {
    const m = memoryFigures();
    expect(m.rssBytes).toBeGreaterThan(0);
    expect(m.heapUsedBytes).toBeGreaterThan(0);
    expect(m.limitBytes).toBeGreaterThan(m.heapUsedBytes);
  });
});

describe('REST API status: event-loop lag', () => {
  it('null before a sample; the delay beyond the 20 ms interval, in ms', () => {
    const lag = createLagMonitor();
    expect(fake.enabled).toBe(true);
    expect(lag.read()).toBeNull();
    fake.record(20.5, 21, 23.45, 120);
    expect(lag.read()).toEqual({ p50: 1, p99: 100, max: 100 });
    lag.stop();
    expect(fake.enabled).toBe(false);
    const early = createLagMonitor();
    fake.record(19.9); // not early: the clocks' rounding
    expect(early.read()).toEqual({ p50: 0, p99: 0, max: 0 });
    early.stop();
    expect(fake.enabled).toBe(false);
  });

  it('each figure the worse of the last full window and the current one; reading changes nothing', () => {
    const lag = createLagMonitor();
    fake.record(21, 21, 80); // a stall in the first window
    lag.rotate();
    fake.record(22, 22, 22);
    expect(lag.read()).toEqual({ p50: 2, p99: 60, max: 60 });
    expect(lag.read()).toEqual({ p50: 2, p99: 60, max: 60 });
    lag.rotate(); // the stall's window has passed
    expect(lag.read()).toEqual({ p50: 2, p99: 2, max: 2 });
    lag.rotate(); // a window without samples (the loop never ran) has nothing to report
    expect(lag.read()).toBeNull();
    lag.stop();
  });
});
