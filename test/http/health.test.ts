import { describe, expect, it } from 'vitest';
import { createHealthBoard } from '../../src/kernel/health.js';
import { createKernel } from '../../src/kernel/kernel.js';
import { createRedactor } from '../../src/log/redact.js';
import { defineJob, defineOutput } from '../../src/plugin/define.js';
import type { HealthState } from '../../src/plugin/types.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { captureLog, config, instance, NoOptions } from '../helpers/kernel.js';

describe('shared HTTP server', () => {
  it('answers /health per instance: 200 healthy, 200 degraded, 503 unhealthy; reasons without secrets', async () => {
    const controls: Record<string, (s: HealthState, r?: string) => void> = {};
    const reporter = defineJob({
      name: 'reporter',
      options: NoOptions,
      setup(ctx) {
        controls[ctx.instance] = (s, r) => ctx.health.set(s, r);
        ctx.http.route('GET', '/api/boom', () => {
          throw new Error('secret stack detail');
        });
      },
    });
    const quiet = defineOutput({
      name: 'quiet',
      options: NoOptions,
      defaultEvents: [],
      setup: () => ({ deliver() {} }),
    });
    const kernel = createKernel({
      config: config([instance('feed-a', reporter), instance('sink', quiet)], {
        http: { listen: '127.0.0.1:0', enabled: true },
      }),
      log: captureLog().log,
      store: createMemoryStore(),
      redact: () => createRedactor(['s3cr3t-token-value']),
    });
    const address = await kernel.start();
    const base = `http://127.0.0.1:${address?.port}`;
    const health = async () => {
      const res = await fetch(`${base}/health`);
      return {
        code: res.status,
        body: (await res.json()) as {
          status: string;
          instances: Record<string, { state: string; reason?: string }>;
        },
      };
    };

    expect(await health()).toMatchObject({
      code: 200,
      body: { status: 'healthy', instances: { 'feed-a': { state: 'healthy' }, sink: { state: 'healthy' } } },
    });
    controls['feed-a']?.('degraded', 'reconnecting');
    expect(await health()).toMatchObject({
      code: 200,
      body: { status: 'degraded', instances: { 'feed-a': { state: 'degraded', reason: 'reconnecting' } } },
    });
    controls['feed-a']?.('unhealthy', 'token s3cr3t-token-value rejected');
    const bad = await health();
    expect(bad.code).toBe(503);
    expect(bad.body.instances['feed-a']?.reason).toBe('token [secret] rejected');

    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('spout_events_total');

    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found', message: 'No such route.' });

    const boom = await fetch(`${base}/api/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).not.toContain('secret stack detail');

    await kernel.stop();
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });

  it('says since when an instance is not healthy: kept from degraded to unhealthy, gone once healthy', () => {
    let wall = Date.UTC(2031, 0, 2, 3, 4, 5);
    const board = createHealthBoard(
      () => (t) => t,
      () => wall,
    );
    board.register('feed', 'input', 'mempool');
    board.set('feed', undefined, undefined, 'running');
    expect(board.report().instances.feed).not.toHaveProperty('since');
    board.set('feed', 'degraded', 'connecting');
    wall += 60_000;
    board.set('feed', 'degraded', 'still connecting');
    board.set('feed', 'unhealthy', 'not connected for 2 min');
    expect(board.report()).toMatchObject({
      status: 'unhealthy',
      instances: {
        feed: { state: 'unhealthy', reason: 'not connected for 2 min', since: '2031-01-02T03:04:05.000Z' },
      },
    });
    board.set('feed', 'healthy');
    expect(board.report().instances.feed).toEqual({
      kind: 'input',
      plugin: 'mempool',
      phase: 'running',
      state: 'healthy',
    });
    wall += 60_000;
    board.set('feed', 'unhealthy', 'lost');
    expect(board.report().instances.feed?.since).toBe('2031-01-02T03:06:05.000Z');
  });

  it('fails boot with a clear error when the port is taken', async () => {
    const first = createKernel({
      config: config(
        [
          instance(
            'q',
            defineOutput({
              name: 'q',
              options: NoOptions,
              defaultEvents: [],
              setup: () => ({ deliver() {} }),
            }),
          ),
        ],
        {
          http: { listen: '127.0.0.1:0', enabled: true },
        },
      ),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    const address = await first.start();
    const second = createKernel({
      config: config(
        [
          instance(
            'q',
            defineOutput({
              name: 'q',
              options: NoOptions,
              defaultEvents: [],
              setup: () => ({ deliver() {} }),
            }),
          ),
        ],
        {
          http: { listen: `127.0.0.1:${address?.port}`, enabled: true },
        },
      ),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await expect(second.start()).rejects.toMatchObject({
      code: 'SPOUT_HTTP_LISTEN',
      message: expect.stringMatching(
        /Cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)\. Free the port or change http\.listen/,
      ),
    });
    await first.stop();
  });
});
