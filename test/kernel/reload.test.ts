import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import type { TxRemoved } from '../../src/bus/events.js';
import { createKernel } from '../../src/kernel/kernel.js';
import { defineOutput } from '../../src/plugin/define.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { captureLog, config, instance } from '../helpers/kernel.js';

function tagged(log: string[]) {
  return defineOutput({
    name: 'tagged',
    options: Type.Object({
      tag: Type.String(),
      slowSetupMs: Type.Optional(Type.Number()),
      failSetup: Type.Optional(Type.Boolean()),
    }),
    defaultEvents: ['tx.removed'],
    async setup(ctx) {
      log.push(`setup ${ctx.instance}:${ctx.options.tag}`);
      if (ctx.options.slowSetupMs) await new Promise((r) => setTimeout(r, ctx.options.slowSetupMs));
      if (ctx.options.failSetup) throw new Error('bad credentials');
      ctx.onStop(() => void log.push(`stop ${ctx.instance}:${ctx.options.tag}`));
      return {
        deliver: (e) =>
          void log.push(`deliver ${ctx.instance}:${ctx.options.tag} ${(e.data as TxRemoved).txid}`),
      };
    },
  });
}

describe('reload', () => {
  it('restarts only the instance whose settings changed, and loses no event during the swap', async () => {
    const log: string[] = [];
    const plugin = tagged(log);
    const kernel = createKernel({
      config: config([
        instance('a', plugin, { options: { tag: 'v1' } }),
        instance('b', plugin, { options: { tag: 'v1' } }),
      ]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await kernel.start();
    log.length = 0;
    const next = config([
      instance('a', plugin, { options: { tag: 'v1' } }),
      instance('b', plugin, { options: { tag: 'v2', slowSetupMs: 50 } }),
    ]);
    const reloading = kernel.reload(next);
    // Published while b is being swapped: must reach the new b, in order.
    for (const id of ['x1', 'x2', 'x3'])
      kernel.bus.publish('tx.removed', { txid: id, reason: 'evicted' }, 'test');
    const report = await reloading;
    await kernel.bus.drain();
    expect(report).toMatchObject({ restarted: ['b'], added: [], removed: [], unchanged: ['a'], failed: [] });
    expect(log.filter((l) => !l.startsWith('deliver a'))).toEqual([
      'stop b:v1',
      'setup b:v2',
      'deliver b:v2 x1',
      'deliver b:v2 x2',
      'deliver b:v2 x3',
    ]);
    expect(log.filter((l) => l.startsWith('deliver a'))).toEqual([
      'deliver a:v1 x1',
      'deliver a:v1 x2',
      'deliver a:v1 x3',
    ]);
    await kernel.stop();
  });

  it('adds and removes instances, and keeps running when a new instance fails', async () => {
    const log: string[] = [];
    const plugin = tagged(log);
    const logs = captureLog();
    const kernel = createKernel({
      config: config([
        instance('a', plugin, { options: { tag: 'v1' } }),
        instance('gone', plugin, { options: { tag: 'v1' } }),
      ]),
      log: logs.log,
      store: createMemoryStore(),
    });
    await kernel.start();
    const report = await kernel.reload(
      config([
        instance('a', plugin, { options: { tag: 'v1' } }),
        instance('new', plugin, { options: { tag: 'v1' } }),
        instance('broken', plugin, { options: { tag: 'v1', failSetup: true } }),
      ]),
    );
    expect(report).toMatchObject({
      restarted: [],
      added: ['new', 'broken'],
      removed: ['gone'],
      unchanged: ['a'],
      failed: ['broken'],
    });
    kernel.bus.publish('tx.removed', { txid: 'after', reason: 'evicted' }, 'test');
    await kernel.bus.drain();
    expect(log.filter((l) => l.startsWith('deliver'))).toEqual([
      'deliver a:v1 after',
      'deliver new:v1 after',
    ]);
    const health = kernel.health.report();
    expect(health.status).toBe('unhealthy');
    expect(health.instances.broken).toMatchObject({
      phase: 'failed',
      state: 'unhealthy',
      reason: '[broken] setup failed: bad credentials',
    });
    expect(health.instances.gone).toBeUndefined();
    expect(health.instances.a).toMatchObject({ phase: 'running', state: 'healthy' });
    await kernel.stop();
  });
});

describe('reload of kernel settings', () => {
  it('applies a new log.level to running instances at once and says what needs a restart', async () => {
    const { createLogger } = await import('../../src/log/logger.js');
    const { defineJob } = await import('../../src/plugin/define.js');
    const lines: string[] = [];
    const root = createLogger({ level: 'info', format: 'json', write: (l) => void lines.push(l) });
    const chatty = defineJob({
      name: 'chatty',
      options: Type.Object({}),
      setup(ctx) {
        ctx.bus.subscribe('tx.removed', (e) =>
          ctx.log.debug({ txid: (e.data as TxRemoved).txid }, 'saw a removal'),
        );
      },
    });
    const base = config([instance('chatty', chatty)], { log: { level: 'info', format: 'json' } });
    const kernel = createKernel({ config: base, log: root.log, store: createMemoryStore() });
    await kernel.start();
    kernel.bus.publish('tx.removed', { txid: 'before', reason: 'evicted' }, 'test');
    await kernel.bus.drain();
    const report = await kernel.reload({
      ...base,
      log: { level: 'debug', format: 'json' },
      http: { listen: '127.0.0.1:9', enabled: false },
    });
    expect(report).toMatchObject({ restarted: [], unchanged: ['chatty'], needsRestart: ['http'] });
    kernel.bus.publish('tx.removed', { txid: 'after', reason: 'evicted' }, 'test');
    await kernel.bus.drain();
    const debug = lines
      .map((l) => JSON.parse(l) as { msg: string; txid?: string })
      .filter((l) => l.msg === 'saw a removal');
    expect(debug.map((l) => l.txid)).toEqual(['after']);
    await kernel.stop();
  });
});

describe('reload routing and failures', () => {
  it('a changed events: list takes effect for what is published during the swap', async () => {
    const seen: string[] = [];
    const routed = defineOutput({
      name: 'routed',
      options: Type.Object({ v: Type.Number() }),
      defaultEvents: ['tx.removed'],
      async setup(ctx) {
        if (ctx.options.v === 2) await new Promise((r) => setTimeout(r, 30));
        return { deliver: (e) => void seen.push(`v${ctx.options.v} ${e.type}`) };
      },
    });
    const kernel = createKernel({
      config: config([instance('out', routed, { options: { v: 1 } })]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await kernel.start();
    const reloading = kernel.reload(
      config([instance('out', routed, { options: { v: 2 }, events: ['tx.replaced'] })]),
    );
    kernel.bus.publish('tx.removed', { txid: 'a', reason: 'evicted' }, 'test');
    kernel.bus.publish('tx.replaced', { txid: 'b', byTxid: 'c', fullRbf: false }, 'test');
    await reloading;
    await kernel.bus.drain();
    expect(seen).toEqual(['v2 tx.replaced']);
    await kernel.stop();
  });

  it('an output that fails to come back holds its events for a later reload instead of dropping them', async () => {
    const log: string[] = [];
    const plugin = tagged(log);
    const kernel = createKernel({
      config: config([instance('out', plugin, { options: { tag: 'v1' } })]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await kernel.start();
    await kernel.reload(config([instance('out', plugin, { options: { tag: 'v2', failSetup: true } })]));
    kernel.bus.publish('tx.removed', { txid: 'held', reason: 'evicted' }, 'test');
    await new Promise((r) => setImmediate(r));
    expect(log.filter((l) => l.startsWith('deliver'))).toEqual([]);
    await kernel.reload(config([instance('out', plugin, { options: { tag: 'v3' } })]));
    await kernel.bus.drain();
    expect(log.filter((l) => l.startsWith('deliver'))).toEqual(['deliver out:v3 held']);
    await kernel.stop();
  });
});
