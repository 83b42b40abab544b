import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import type { AnyEnvelope } from '../../src/bus/envelope.js';
import type { TxSeen } from '../../src/bus/events.js';
import type { KernelEventMap } from '../../src/index.js';
import { createKernel, type Kernel } from '../../src/kernel/kernel.js';
import { defineDetector, defineInput, defineJob, defineOutput } from '../../src/plugin/define.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { captureLog, config, instance, NoOptions } from '../helpers/kernel.js';

type Name = keyof KernelEventMap;

/** Every event the kernel emits, in order, as `[name, payload]`. */
function record(kernel: Kernel, names: Name[] = ['handlerError', 'health', 'reload', 'state']) {
  const seen: Array<[Name, unknown]> = [];
  for (const name of names) kernel.events.on(name, (payload) => void seen.push([name, payload]));
  return seen;
}

/** The next `name` event that `where` accepts. */
function next<K extends Name>(
  kernel: Kernel,
  name: K,
  where: (e: KernelEventMap[K]) => boolean = () => true,
) {
  return new Promise<KernelEventMap[K]>((resolve) => {
    const off = kernel.events.on(name, (e) => {
      if (!where(e)) return;
      off();
      resolve(e);
    });
  });
}

const tx = (txid: string): TxSeen => ({
  txid,
  valueSats: 150e8,
  feeSats: 1000,
  vsize: 200,
  feeRate: 5,
  inputs: [],
  outputs: [{ address: 'bc1qexample', valueSats: 150e8 }],
  rbfSignaling: false,
  firstSeen: '2026-11-21T10:00:00.000Z',
});

const removed = (kernel: Kernel, txid: string) =>
  kernel.bus.publish('tx.removed', { txid, reason: 'evicted' }, 'test');

/** An output that throws on txids starting with "x" (synchronously) or "y" (rejecting). */
const picky = (got: string[]) =>
  defineOutput({
    name: 'picky',
    options: NoOptions,
    defaultEvents: ['tx.removed'],
    setup: () => ({
      deliver(e: AnyEnvelope) {
        const { txid } = e.data as { txid: string };
        if (txid.startsWith('x')) throw new Error(`refused ${txid}`);
        if (txid.startsWith('y')) return Promise.reject(new Error(`rejected ${txid}`));
        got.push(txid);
      },
    }),
  });

const kernelWith = (
  instances: Parameters<typeof config>[0],
  extra: Partial<Parameters<typeof createKernel>[0]> = {},
) => {
  const log = captureLog();
  const kernel = createKernel({
    config: config(instances),
    log: log.log,
    store: createMemoryStore(),
    ...extra,
  });
  return { kernel, log };
};

describe('kernel events', () => {
  it('state: created → starting → running → stopping → stopped, each told once the state is set', async () => {
    const { kernel } = kernelWith([instance('out', picky([]))]);
    const seen: Array<[string, string, string]> = [];
    kernel.events.on('state', ({ from, to }) => void seen.push([from, to, kernel.state()]));
    const starting = kernel.start();
    // Told synchronously: start() has not returned to its caller's next turn yet.
    expect(seen).toEqual([['created', 'starting', 'starting']]);
    await starting;
    expect(seen.at(-1)).toEqual(['starting', 'running', 'running']);
    await kernel.stop();
    expect(seen).toEqual([
      ['created', 'starting', 'starting'],
      ['starting', 'running', 'running'],
      ['running', 'stopping', 'stopping'],
      ['stopping', 'stopped', 'stopped'],
    ]);
  });

  it('state and health: a failed start goes starting → stopping → stopped and marks the instance failed', async () => {
    const broken = defineOutput({
      name: 'broken',
      options: NoOptions,
      defaultEvents: ['tx.removed'],
      setup: () => ({ deliver: () => {} }),
      start: () => {
        throw new Error('no route to host');
      },
    });
    const { kernel } = kernelWith([instance('out', broken)]);
    const seen = record(kernel, ['state', 'health']);
    await expect(kernel.start()).rejects.toMatchObject({ code: 'SPOUT_PLUGIN_FAILED' });
    expect(seen.filter(([n]) => n === 'state').map(([, e]) => e)).toEqual([
      { from: 'created', to: 'starting' },
      { from: 'starting', to: 'stopping' },
      { from: 'stopping', to: 'stopped' },
    ]);
    expect(seen.filter(([n]) => n === 'health').map(([, e]) => e)).toContainEqual({
      instance: 'out',
      kind: 'output',
      plugin: 'broken',
      state: 'unhealthy',
      phase: 'failed',
      reason: expect.stringContaining('no route to host'),
      previous: { state: 'healthy', phase: 'setup' },
    });
  });

  it('handlerError: a deliver that throws or rejects is told after its log line, with instance, kind, phase and event', async () => {
    const got: string[] = [];
    const { kernel, log } = kernelWith([instance('flaky', picky(got))]);
    const errors: KernelEventMap['handlerError'][] = [];
    const loggedFirst: boolean[] = [];
    kernel.events.on('handlerError', (e) => {
      errors.push(e);
      loggedFirst.push(log.lines.some((l) => l.level === 'error' && l.eventId === e.eventId));
    });
    await kernel.start();
    const x = removed(kernel, 'x1');
    removed(kernel, 'ok1');
    const y = removed(kernel, 'y1');
    await kernel.bus.drain();
    expect(got).toEqual(['ok1']);
    expect(errors).toEqual([
      {
        instance: 'flaky',
        kind: 'output',
        phase: 'deliver',
        eventType: 'tx.removed',
        eventId: x.id,
        error: expect.objectContaining({ message: 'refused x1' }),
      },
      {
        instance: 'flaky',
        kind: 'output',
        phase: 'deliver',
        eventType: 'tx.removed',
        eventId: y.id,
        error: expect.objectContaining({ message: 'rejected y1' }),
      },
    ]);
    expect(loggedFirst).toEqual([true, true]);
    await kernel.stop();
  });

  it('handlerError: a plugin’s own subscription is phase "subscribe" (even an output’s), a detector hook "detect"', async () => {
    const listener = defineJob({
      name: 'listener',
      options: NoOptions,
      setup(ctx) {
        ctx.bus.subscribe('tx.removed', () => {
          throw new Error('job handler broke');
        });
      },
    });
    const watcher = defineOutput({
      name: 'watcher',
      options: NoOptions,
      defaultEvents: ['whale.detected'],
      setup(ctx) {
        ctx.bus.subscribe('tx.removed', () => Promise.reject(new Error('output side channel broke')));
        return { deliver: () => {} };
      },
    });
    const admitter = defineDetector({
      name: 'admitter',
      options: NoOptions,
      setup: () => ({
        admit: () => {
          throw new Error('threshold table missing');
        },
      }),
    });
    const { kernel } = kernelWith([
      instance('job', listener),
      instance('out', watcher),
      instance('det', admitter),
    ]);
    await kernel.start();
    const detected = next(kernel, 'handlerError', (e) => e.phase === 'detect');
    const seen = kernel.bus.publish('tx.seen', tx('a'.repeat(64)), 'feed');
    expect(await detected).toMatchObject({
      instance: 'det',
      kind: 'detector',
      phase: 'detect',
      eventType: 'tx.seen',
      eventId: seen.id,
      error: { message: 'threshold table missing' },
    });
    const errors = record(kernel, ['handlerError']);
    removed(kernel, 'r1');
    await kernel.bus.drain();
    expect(errors.map(([, e]) => e)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          instance: 'job',
          kind: 'job',
          phase: 'subscribe',
          eventType: 'tx.removed',
        }),
        expect.objectContaining({
          instance: 'out',
          kind: 'output',
          phase: 'subscribe',
          eventType: 'tx.removed',
        }),
      ]),
    );
    expect(errors).toHaveLength(2);
    await kernel.stop();
  });

  it('handlerError: a scheduled run that throws is phase "scheduled", with the task’s name', async () => {
    let runs = 0;
    const job = defineJob({
      name: 'ticking',
      options: NoOptions,
      setup(ctx) {
        ctx.scheduler.every(
          5,
          () => {
            runs++;
            throw new Error('tick broke');
          },
          { name: 'tick' },
        );
      },
    });
    const kernel = createKernel({
      config: config([instance('ticker', job)]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    const failed = next(kernel, 'handlerError');
    await kernel.start();
    const event = await failed;
    await kernel.stop();
    expect(runs).toBeGreaterThan(0);
    expect(event).toMatchObject({ instance: 'ticker', kind: 'job', phase: 'scheduled', task: 'tick' });
    expect((event.error as Error).message).toBe('tick broke');
  });

  it('health: registration, phases and each change of state or reason, reasons scrubbed, repeats not told', async () => {
    const feedHealth: { set?: (state: 'healthy' | 'degraded', reason?: string) => void } = {};
    const feed = defineInput({
      name: 'feed',
      options: NoOptions,
      setup(ctx) {
        feedHealth.set = (state, reason) => ctx.health.set(state, reason);
      },
    });
    const report = (state: 'healthy' | 'degraded', reason?: string) => feedHealth.set?.(state, reason);
    const { kernel } = kernelWith([instance('feed', feed)], {
      redact: () => (text) => text.replaceAll('hunter2', '[redacted]'),
    });
    const seen: KernelEventMap['health'][] = [];
    kernel.events.on('health', (e) => void seen.push(e));
    await kernel.start();
    report('degraded', 'login hunter2 refused');
    report('degraded', 'login hunter2 refused');
    report('healthy');
    await kernel.stop();
    const base = { instance: 'feed', kind: 'input', plugin: 'feed' };
    expect(seen).toEqual([
      { ...base, state: 'healthy', phase: 'setup' },
      { ...base, state: 'healthy', phase: 'running', previous: { state: 'healthy', phase: 'setup' } },
      {
        ...base,
        state: 'degraded',
        phase: 'running',
        reason: 'login [redacted] refused',
        previous: { state: 'healthy', phase: 'running' },
      },
      {
        ...base,
        state: 'healthy',
        phase: 'running',
        previous: { state: 'degraded', phase: 'running', reason: 'login [redacted] refused' },
      },
      { ...base, state: 'healthy', phase: 'stopped', previous: { state: 'healthy', phase: 'running' } },
    ]);
  });

  it('reload: each call’s outcome is told before its caller resumes, refused ones included', async () => {
    const tagged = defineOutput({
      name: 'tagged',
      options: Type.Object({ tag: Type.String(), failSetup: Type.Optional(Type.Boolean()) }),
      defaultEvents: ['tx.removed'],
      setup(ctx) {
        if (ctx.options.failSetup) throw new Error('bad credentials');
        return { deliver: () => {} };
      },
    });
    const { kernel } = kernelWith([instance('a', tagged, { options: { tag: 'v1' } })]);
    const order: string[] = [];
    const outcomes: KernelEventMap['reload'][] = [];
    kernel.events.on('reload', (e) => {
      outcomes.push(e);
      order.push(`event ok=${e.ok}`);
    });

    await kernel.reload(config([])).catch(() => order.push('caller rejected'));
    expect(outcomes[0]).toMatchObject({ ok: false, error: { code: 'SPOUT_KERNEL_STATE' } });

    await kernel.start();
    const report = await kernel.reload(
      config([
        instance('a', tagged, { options: { tag: 'v2' } }),
        instance('b', tagged, { options: { tag: 'v1' } }),
      ]),
    );
    order.push('caller resolved');
    expect(outcomes[1]).toEqual({ ok: true, ...report });
    expect(report).toMatchObject({ restarted: ['a'], added: ['b'], failed: [] });

    const partial = await kernel.reload(
      config([
        instance('a', tagged, { options: { tag: 'v2' } }),
        instance('b', tagged, { options: { tag: 'v2', failSetup: true } }),
      ]),
    );
    expect(partial.failed).toEqual(['b']);
    expect(outcomes[2]).toMatchObject({ ok: true, failed: ['b'], unchanged: ['a'] });
    expect(order).toEqual([
      'event ok=false',
      'caller rejected',
      'event ok=true',
      'caller resolved',
      'event ok=true',
    ]);
    await kernel.stop();
  });

  it('a throwing or rejecting listener breaks neither start, delivery nor stop; it is logged once per failure', async () => {
    const got: string[] = [];
    const { kernel, log } = kernelWith([instance('out', picky(got))]);
    const others: Name[] = [];
    for (const name of ['state', 'health', 'handlerError'] as const) {
      kernel.events.on(name, () => {
        throw new Error(`listener of ${name} broke`);
      });
      kernel.events.on(name, async () => {
        throw new Error(`async listener of ${name} broke`);
      });
      kernel.events.on(name, () => void others.push(name));
    }
    await kernel.start();
    expect(kernel.state()).toBe('running');
    removed(kernel, 'x1');
    removed(kernel, 'ok1');
    await kernel.bus.drain();
    expect(got).toEqual(['ok1']);
    expect(await kernel.stop()).toEqual([]);
    expect(kernel.state()).toBe('stopped');

    // The listener after the broken ones was told everything: one delivery failure, each state.
    expect(others.filter((n) => n === 'handlerError')).toHaveLength(1);
    expect(others.filter((n) => n === 'state')).toHaveLength(4);
    // One error line per broken listener per event told; rejections are logged a turn later.
    await new Promise((r) => setImmediate(r));
    const failures = log.lines.filter((l) => String(l.msg).startsWith('a listener of the kernel'));
    expect(failures).toHaveLength(others.length * 2);
    expect(failures.every((l) => l.level === 'error')).toBe(true);
    expect(failures.map((l) => l.msg)).toContain(
      'a listener of the kernel\'s "handlerError" event failed: listener of handlerError broke; the kernel goes on',
    );
  });

  it('on() returns an unsubscribe, off() removes a listener, once() fires once', async () => {
    const { kernel } = kernelWith([instance('out', picky([]))]);
    const calls: string[] = [];
    const viaOn = ({ to }: KernelEventMap['state']) => void calls.push(`on ${to}`);
    const viaOff = ({ to }: KernelEventMap['state']) => void calls.push(`off ${to}`);
    const unsubscribe = kernel.events.on('state', viaOn);
    kernel.events.on('state', viaOff);
    kernel.events.once('state', ({ to }) => void calls.push(`once ${to}`));
    const never = kernel.events.once('state', ({ to }) => void calls.push(`cancelled ${to}`));
    never();
    await kernel.start();
    unsubscribe();
    kernel.events.off('state', viaOff);
    await kernel.stop();
    expect(calls).toEqual(['on starting', 'off starting', 'once starting', 'on running', 'off running']);
  });

  it('an event caused by a listener reaches every listener after the one being told', async () => {
    const { kernel } = kernelWith([instance('out', picky([]))]);
    kernel.events.on('state', ({ to }) => {
      if (to === 'running') void kernel.stop();
    });
    const later: string[] = [];
    kernel.events.on('state', ({ from, to }) => void later.push(`${from}→${to}`));
    const stopped = next(kernel, 'state', (e) => e.to === 'stopped');
    await kernel.start();
    await stopped;
    expect(later).toEqual(['created→starting', 'starting→running', 'running→stopping', 'stopping→stopped']);
  });
});
