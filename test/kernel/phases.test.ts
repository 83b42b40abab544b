import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { createKernel } from '../../src/kernel/kernel.js';
import { defineInput } from '../../src/plugin/define.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { captureLog, config, instance } from '../helpers/kernel.js';

/** A promise the test opens, and one that resolves once something waits at it. */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const arrived = new Promise<void>((r) => (reached = r));
  return { open, arrived, wait: () => (reached(), opened) };
}

/**
 * An input that records its setup, start and stop in `log` as "<phase> <instance>:<tag>", and
 * waits at `gates[<phase> <instance>:<tag>]` when there is one.
 */
function recorder(log: string[], gates: Record<string, ReturnType<typeof gate>> = {}) {
  const at = async (what: string) => {
    log.push(what);
    await gates[what]?.wait();
  };
  return defineInput({
    name: 'phase-recorder',
    options: Type.Object({ tag: Type.String() }),
    async setup(ctx) {
      const me = `${ctx.instance}:${ctx.options.tag}`;
      ctx.onStop(() => at(`stop ${me}`));
      await at(`setup ${me}`);
    },
    start: (ctx) => at(`start ${ctx.instance}:${ctx.options.tag}`),
  });
}

const refused = (phase: 'start' | 'reload') => ({
  name: 'SpoutError',
  code: 'SPOUT_KERNEL_STATE',
  exit: 1,
  scope: { phase },
});

function kernelOf(plugin: ReturnType<typeof recorder>, names = ['a']) {
  return createKernel({
    config: config(names.map((n) => instance(n, plugin, { options: { tag: 'v1' } }))),
    log: captureLog().log,
    store: createMemoryStore(),
  });
}

describe('kernel phases', () => {
  it('refuses a second start() while the first is setting up, without setting anything up again', async () => {
    const log: string[] = [];
    const slow = gate();
    const kernel = kernelOf(recorder(log, { 'setup a:v1': slow }));
    const first = kernel.start();
    await slow.arrived;
    await expect(kernel.start()).rejects.toMatchObject(refused('start'));
    expect(kernel.state()).toBe('starting');
    slow.open();
    await first;
    expect(kernel.state()).toBe('running');
    expect(await kernel.stop()).toEqual([]);
    expect(log).toEqual(['setup a:v1', 'start a:v1', 'stop a:v1']);
  });

  it('refuses start() while running and after stop(); the state stays as it was', async () => {
    const log: string[] = [];
    const kernel = kernelOf(recorder(log));
    await kernel.start();
    const again = await kernel.start().catch((error: unknown) => error);
    expect(again).toMatchObject(refused('start'));
    expect((again as Error).message).toContain('already running');
    expect(kernel.state()).toBe('running');
    await kernel.stop();
    await expect(kernel.start()).rejects.toMatchObject(refused('start'));
    expect(kernel.state()).toBe('stopped');
    expect(log).toEqual(['setup a:v1', 'start a:v1', 'stop a:v1']);
  });

  it('stop() is idempotent: every call gets the same outcome and stops each instance once', async () => {
    const log: string[] = [];
    const kernel = kernelOf(recorder(log), ['a', 'b']);
    await kernel.start();
    const [one, two] = await Promise.all([kernel.stop(), kernel.stop()]);
    expect(one).toEqual([]);
    expect(two).toBe(one);
    expect(await kernel.stop()).toBe(one);
    expect(log.filter((l) => l.startsWith('stop'))).toEqual(['stop b:v1', 'stop a:v1']);
  });

  it('stop() before start() stops cleanly, and the kernel cannot start afterwards', async () => {
    const log: string[] = [];
    const kernel = kernelOf(recorder(log));
    expect(await kernel.stop()).toEqual([]);
    expect(kernel.state()).toBe('stopped');
    await expect(kernel.start()).rejects.toMatchObject(refused('start'));
    expect(log).toEqual([]);
  });

  it('refuses reload() before start() and while starting, and changes nothing', async () => {
    const log: string[] = [];
    const plugin = recorder(log);
    const slow = gate();
    const gated = recorder(log, { 'setup a:v1': slow });
    const next = config([instance('a', plugin, { options: { tag: 'v2' } })]);

    const kernel = kernelOf(gated);
    const early = await kernel.reload(next).catch((error: unknown) => error);
    expect(early).toMatchObject(refused('reload'));
    expect((early as Error).message).toContain('not been started');
    expect(log).toEqual([]);

    const starting = kernel.start();
    await slow.arrived;
    await expect(kernel.reload(next)).rejects.toMatchObject(refused('reload'));
    slow.open();
    await starting;
    await kernel.stop();
    expect(log).toEqual(['setup a:v1', 'start a:v1', 'stop a:v1']);
  });

  it('refuses reload() once stop() was called, also while the instances are still stopping', async () => {
    const log: string[] = [];
    const slowStop = gate();
    const plugin = recorder(log, { 'stop a:v1': slowStop });
    const kernel = kernelOf(plugin);
    await kernel.start();
    const stopped = kernel.stop();
    await slowStop.arrived;
    expect(kernel.state()).toBe('stopping');
    await expect(
      kernel.reload(config([instance('a', plugin, { options: { tag: 'v2' } })])),
    ).rejects.toMatchObject(refused('reload'));
    slowStop.open();
    expect(await stopped).toEqual([]);
    await expect(
      kernel.reload(config([instance('a', plugin, { options: { tag: 'v3' } })])),
    ).rejects.toMatchObject(refused('reload'));
    expect(log).toEqual(['setup a:v1', 'start a:v1', 'stop a:v1']);
  });

  it('stop() while starting waits for the start, then stops every instance it started', async () => {
    const log: string[] = [];
    const slow = gate();
    const kernel = kernelOf(recorder(log, { 'setup b:v1': slow }), ['a', 'b']);
    const started = kernel.start();
    await slow.arrived;
    const stopped = kernel.stop();
    slow.open();
    await started;
    expect(await stopped).toEqual([]);
    expect(kernel.state()).toBe('stopped');
    expect(log).toEqual(['setup a:v1', 'setup b:v1', 'start a:v1', 'start b:v1', 'stop b:v1', 'stop a:v1']);
  });

  it('stop() during a reload waits for it, then stops what it started', async () => {
    const log: string[] = [];
    const slow = gate();
    const plugin = recorder(log, { 'setup a:v2': slow });
    const kernel = kernelOf(plugin);
    await kernel.start();
    const reloaded = kernel.reload(config([instance('a', plugin, { options: { tag: 'v2' } })]));
    await slow.arrived;
    const stopped = kernel.stop();
    slow.open();
    expect((await reloaded).restarted).toEqual(['a']);
    expect(await stopped).toEqual([]);
    expect(log).toEqual(['setup a:v1', 'start a:v1', 'stop a:v1', 'setup a:v2', 'start a:v2', 'stop a:v2']);
  });

  it('reloads asked for together run one after another; the last one wins', async () => {
    const log: string[] = [];
    const slow = gate();
    const plugin = recorder(log, { 'setup a:v2': slow });
    const kernel = kernelOf(plugin);
    await kernel.start();
    const second = kernel.reload(config([instance('a', plugin, { options: { tag: 'v2' } })]));
    await slow.arrived;
    const third = kernel.reload(config([instance('a', plugin, { options: { tag: 'v3' } })]));
    slow.open();
    expect((await second).restarted).toEqual(['a']);
    expect((await third).restarted).toEqual(['a']);
    await kernel.stop();
    expect(log).toEqual([
      'setup a:v1',
      'start a:v1',
      'stop a:v1',
      'setup a:v2',
      'start a:v2',
      'stop a:v2',
      'setup a:v3',
      'start a:v3',
      'stop a:v3',
    ]);
  });
});
