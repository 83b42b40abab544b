import { describe, expect, it } from 'vitest';
import type { TxRemoved } from '../../src/bus/events.js';
import { createKernel } from '../../src/kernel/kernel.js';
import { defineDetector, defineInput, defineJob, defineOutput } from '../../src/plugin/define.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { captureLog, config, instance, MEMORY_DEFAULTS, NoOptions } from '../helpers/kernel.js';

function recorders(order: string[]) {
  const input = defineInput({
    name: 'rec-input',
    options: NoOptions,
    setup(ctx) {
      order.push(`setup ${ctx.instance}`);
      ctx.onStop(() => void order.push(`stop ${ctx.instance}`));
    },
    start(ctx) {
      order.push(`start ${ctx.instance}`);
      for (let i = 0; i < 5; i++)
        ctx.bus.publish('tx.removed', { txid: `${ctx.instance}-${i}`, reason: 'evicted' });
    },
  });
  const detector = defineDetector({
    name: 'rec-detector',
    options: NoOptions,
    setup(ctx) {
      order.push(`setup ${ctx.instance}`);
      ctx.onStop(() => void order.push(`stop ${ctx.instance}`));
      return {};
    },
    start: (ctx) => void order.push(`start ${ctx.instance}`),
  });
  const output = defineOutput({
    name: 'rec-output',
    options: NoOptions,
    defaultEvents: ['tx.*'],
    setup(ctx) {
      order.push(`setup ${ctx.instance}`);
      ctx.onStop(() => void order.push(`stop ${ctx.instance}`));
      return {
        async deliver(e) {
          await new Promise((r) => setTimeout(r, 2));
          order.push(`deliver ${ctx.instance} ${(e.data as TxRemoved).txid}`);
        },
      };
    },
    start: (ctx) => void order.push(`start ${ctx.instance}`),
  });
  const job = defineJob({
    name: 'rec-job',
    options: NoOptions,
    setup(ctx) {
      order.push(`setup ${ctx.instance}`);
      ctx.onStop(() => void order.push(`stop ${ctx.instance} (first registered)`));
      ctx.onStop(() => void order.push(`stop ${ctx.instance} (second registered)`));
    },
    start: (ctx) => void order.push(`start ${ctx.instance}`),
  });
  return { input, detector, output, job };
}

describe('kernel lifecycle', () => {
  it('sets up in config order, starts consumers first, stops producers first, drains, then stops LIFO', async () => {
    const order: string[] = [];
    const p = recorders(order);
    const kernel = createKernel({
      config: config([
        instance('in1', p.input),
        instance('det1', p.detector),
        instance('out1', p.output),
        instance('job1', p.job),
        instance('in2', p.input),
        instance('out2', p.output),
      ]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await kernel.start();
    expect(kernel.state()).toBe('running');
    const errors = await kernel.stop();
    expect(errors).toEqual([]);
    expect(kernel.state()).toBe('stopped');

    const lifecycle = order.filter((l) => !l.startsWith('deliver'));
    expect(lifecycle).toEqual([
      'setup in1',
      'setup det1',
      'setup out1',
      'setup job1',
      'setup in2',
      'setup out2',
      'start out1',
      'start out2',
      'start job1',
      'start det1',
      'start in1',
      'start in2',
      'stop in2',
      'stop in1',
      'stop out2',
      'stop job1 (second registered)',
      'stop job1 (first registered)',
      'stop out1',
      'stop det1',
    ]);
    // The bus was drained before any consumer stopped: every event reached both outputs first.
    const firstConsumerStop = order.indexOf('stop out2');
    const deliveries = order.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('deliver'));
    expect(deliveries).toHaveLength(20);
    expect(deliveries.every(([, i]) => i < firstConsumerStop)).toBe(true);
    // In order per subscriber.
    expect(order.filter((l) => l.startsWith('deliver out1 in1'))).toEqual(
      [0, 1, 2, 3, 4].map((i) => `deliver out1 in1-${i}`),
    );
  });

  it('cuts off an instance whose stop hangs, still stops the others, and reports instance and phase', async () => {
    const order: string[] = [];
    const p = recorders(order);
    const hanging = defineOutput({
      name: 'hanging',
      options: NoOptions,
      defaultEvents: [],
      setup(ctx) {
        ctx.onStop(() => new Promise<void>(() => {}));
        return { deliver() {} };
      },
    });
    const kernel = createKernel({
      config: config([instance('first', p.output), instance('stuck', hanging), instance('last', p.output)]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await kernel.start();
    const began = Date.now();
    const errors = await kernel.stop();
    expect(Date.now() - began).toBeLessThan(2000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'SPOUT_PLUGIN_TIMEOUT',
      scope: { instance: 'stuck', phase: 'stop' },
    });
    expect((errors[0] as Error).message).toMatch(/^\[stuck\] stop did not finish within 300 ms/);
    expect(order.filter((l) => l.startsWith('stop'))).toEqual(['stop last', 'stop first']);
  });

  it('fails boot with the instance and phase when a setup throws, and stops what was set up', async () => {
    const order: string[] = [];
    const p = recorders(order);
    const broken = defineJob({
      name: 'broken',
      options: NoOptions,
      setup() {
        throw new Error('cannot reach the database');
      },
    });
    const kernel = createKernel({
      config: config([instance('ok', p.output), instance('bad', broken), instance('never', p.input)]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await expect(kernel.start()).rejects.toMatchObject({
      code: 'SPOUT_PLUGIN_FAILED',
      message: '[bad] setup failed: cannot reach the database',
      scope: { instance: 'bad', phase: 'setup' },
    });
    expect(order).toEqual(['setup ok', 'stop ok']);
    expect(kernel.state()).toBe('stopped');
  });

  it('times out a setup that never finishes', async () => {
    const slow = defineInput({ name: 'slow', options: NoOptions, setup: () => new Promise<void>(() => {}) });
    const kernel = createKernel({
      config: config([instance('slow', slow)], {
        kernel: {
          setupTimeout: '100ms',
          startTimeout: '1s',
          stopTimeout: '1s',
          drainTimeout: '1s',
          helperThreadsNice: 0,
          memory: MEMORY_DEFAULTS,
        },
      }),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await expect(kernel.start()).rejects.toMatchObject({
      code: 'SPOUT_PLUGIN_TIMEOUT',
      scope: { instance: 'slow', phase: 'setup' },
    });
  });

  it('gives each instance frozen options, a bound logger, an abort signal and scoped subscriptions', async () => {
    const seen: Record<string, unknown> = {};
    const log = captureLog();
    const probe = defineJob({
      name: 'probe',
      options: NoOptions,
      setup(ctx) {
        seen.frozen = Object.isFrozen(ctx.options);
        ctx.log.info('hello');
        ctx.bus.subscribe('tx.removed', () => void (seen.received = true));
        ctx.onStop(() => void (seen.abortedAtStop = ctx.signal.aborted));
      },
    });
    const kernel = createKernel({
      config: config([instance('probe-1', probe, { options: Object.freeze({}) })]),
      log: log.log,
      store: createMemoryStore(),
    });
    await kernel.start();
    kernel.bus.publish('tx.removed', { txid: 'a', reason: 'evicted' }, 'test');
    await kernel.bus.drain();
    await kernel.stop();
    expect(seen).toEqual({ frozen: true, received: true, abortedAtStop: true });
    expect(log.lines.find((l) => l.msg === 'hello')).toMatchObject({ instance: 'probe-1', plugin: 'probe' });
    expect(kernel.bus.depth().bySubscriber).toEqual({});
  });
});
