import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MempoolStats } from '../../../../src/bus/events.js';
import { serveApi } from './serve.js';

// GET /api/status on a kernel: what the inputs said, the last block and mempool, the process.

const histograms = vi.hoisted(() => [] as Array<{ enabled: boolean; count: () => number }>);
// The real monitor, its enable/disable recorded, to see the job stop measuring when it stops.
vi.mock('node:perf_hooks', async (original) => {
  const real = await original<typeof import('node:perf_hooks')>();
  return {
    ...real,
    monitorEventLoopDelay: (options?: { resolution?: number }) => {
      const h = real.monitorEventLoopDelay(options);
      const seen = { enabled: false, count: () => h.count };
      histograms.push(seen);
      const { enable, disable } = h;
      h.enable = () => ((seen.enabled = true), enable.call(h));
      h.disable = () => ((seen.enabled = false), disable.call(h));
      return h;
    },
  };
});

const stops: Array<() => unknown> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

const STATS: MempoolStats = {
  projectedBlocks: [
    { feeRange: [5, 50], medianFee: 12, nTx: 3_000, vsize: 997_000 },
    { feeRange: [2, 5], medianFee: 3, nTx: 40_000, vsize: 30_000_000 },
  ],
  recommendedFees: null,
  mempoolVsize: 31_000_000,
};

async function api() {
  const a = await serveApi(['inputs:', '  feed: { use: replay }', 'jobs:', '  api: { use: api }'].join('\n'));
  stops.push(() => a.stop());
  return a;
}

describe('REST API: GET /api/status', () => {
  it('needs a token with api:read (401 without, 403 without the scope) and takes no parameters', async () => {
    const a = await api();
    const none = await a.get('/api/status', null);
    expect(none).toEqual({
      status: 401,
      body: { error: 'unauthorized', message: expect.stringMatching(/Authorization: Bearer/) },
    });
    expect((await a.get('/api/status', await a.token({ scopes: ['alerts:read'] }))).status).toBe(403);
    expect(await a.get('/api/status?verbose=1')).toEqual({
      status: 400,
      body: { error: 'bad_request', message: 'Unknown parameter verbose; this route takes none.' },
    });
  });

  it('before any event: no inputs, no block, no mempool; the process figures', async () => {
    const a = await api();
    const r = await a.get('/api/status');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      now: expect.any(String),
      inputs: [],
      block: null,
      mempool: null,
      process: {
        rssBytes: expect.any(Number),
        heapUsedBytes: expect.any(Number),
        limitBytes: expect.any(Number),
        limitSource: expect.stringMatching(/^(cgroup|heap)$/),
        eventLoopLagMs: expect.toBeOneOf([
          null,
          { p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
        ]),
      },
    });
    const p = r.body.process as { rssBytes: number; heapUsedBytes: number; limitBytes: number };
    expect(p.rssBytes).toBeGreaterThan(p.heapUsedBytes);
    expect(p.limitBytes).toBeGreaterThan(p.heapUsedBytes);
  });

  it('each input’s last state with its reason and since; the last block with its age; the last mempool stats', async () => {
    const a = await api();
    const bus = a.kernel.bus;
    const first = bus.publish('input.status', { state: 'connecting' }, 'feed');
    const connected = bus.publish('input.status', { state: 'connected' }, 'feed');
    bus.publish('input.status', { state: 'degraded', reason: 'no frame for 60 s' }, 'backup');
    bus.publish('input.status', { state: 'degraded', reason: 'still no frame' }, 'backup');
    bus.publish(
      'block.connected',
      { height: 870_000, hash: 'a'.repeat(64), time: '2026-11-21T09:50:00Z', txids: [] },
      'feed',
    );
    const block = bus.publish(
      'block.connected',
      { height: 870_001, hash: 'b'.repeat(64), time: '2026-11-21T10:00:00Z', txids: [] },
      'feed',
    );
    bus.publish('mempool.stats', { ...STATS, mempoolVsize: 1 }, 'feed');
    const stats = bus.publish('mempool.stats', STATS, 'feed');
    await bus.drain();

    const r = await a.get('/api/status');
    expect(r.status).toBe(200);
    const backupSince = (r.body.inputs as Array<{ since: string }>)[1]?.since;
    expect(r.body.inputs).toEqual([
      { name: 'feed', state: 'connected', reason: null, since: connected.time },
      { name: 'backup', state: 'degraded', reason: 'still no frame', since: backupSince },
    ]);
    // A repeated state keeps the time it began.
    expect(Date.parse(backupSince!)).toBeGreaterThanOrEqual(Date.parse(first.time));
    expect(Date.parse(backupSince!)).toBeLessThanOrEqual(Date.parse(block.time));
    const now = Date.parse(r.body.now as string);
    expect(r.body.block).toEqual({
      height: 870_001,
      at: block.time,
      ageSeconds: Math.floor((now - Date.parse(block.time)) / 1000),
    });
    expect(r.body.mempool).toEqual({ count: 43_000, vsize: 31_000_000, at: stats.time });
  });

  it('measures the event-loop lag while it runs (a stall shows), and stops measuring when the job stops', async () => {
    const a = await api();
    expect(histograms.at(-1)?.enabled).toBe(true);
    // The monitor records the time between two runs of its timer: let it run once, stall the
    // loop for 60 ms, and let it run again.
    const monitor = histograms.at(-1)!;
    const ticks = async (count: number) => {
      while (monitor.count() < count) await new Promise((r) => setTimeout(r, 5));
    };
    await ticks(1);
    const before = monitor.count();
    const until = performance.now() + 60;
    while (performance.now() < until);
    await ticks(before + 1);
    const lag = (await a.get('/api/status')).body.process as {
      eventLoopLagMs: { p50: number; p99: number; max: number };
    };
    expect(lag.eventLoopLagMs).toEqual({
      p50: expect.any(Number),
      p99: expect.any(Number),
      max: expect.any(Number),
    });
    expect(lag.eventLoopLagMs.max).toBeGreaterThanOrEqual(30);
    expect(lag.eventLoopLagMs.p50).toBeLessThanOrEqual(lag.eventLoopLagMs.max);
    await a.stop();
    expect(histograms.at(-1)?.enabled).toBe(false);
  });
});
