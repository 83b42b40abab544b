import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { parseConfig } from '../helpers/builtins.js';
import { createKernel } from '../../src/kernel/kernel.js';
import { defineInput, defineOutput } from '../../src/plugin/define.js';
import { optionError } from '../../src/plugin/problems.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { captureLog, config, instance, NoOptions } from '../helpers/kernel.js';

// The plugin contract: `setup` returns everything the instance is (start, deliver, stop), and
// `resolve` turns the options into `ctx.options` once per configuration load.

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const calls = () =>
  ((globalThis as { __resolvingPlugin?: { resolve: number; order: string[] } }).__resolvingPlugin ??= {
    resolve: 0,
    order: [],
  });
afterEach(() => {
  calls().resolve = 0;
  calls().order = [];
});

describe('setup returns the instance’s handle', () => {
  it('start after every setup, deliver, stop before the onStop handlers; no state kept outside the closure', async () => {
    const order: string[] = [];
    const input = defineInput({
      name: 'handle-input',
      options: NoOptions,
      setup(ctx) {
        order.push('setup input');
        return { start: () => void ctx.bus.publish('tx.removed', { txid: 'a', reason: 'evicted' }) };
      },
    });
    const output = defineOutput({
      name: 'handle-output',
      options: NoOptions,
      defaultEvents: ['tx.*'],
      setup(ctx) {
        order.push('setup output');
        let started = false;
        ctx.onStop(() => void order.push('onStop output'));
        return {
          start: () => void ((started = true), order.push('start output')),
          deliver: (e) => void order.push(`deliver ${e.type} (started: ${started})`),
          stop: () => void order.push('stop output'),
        };
      },
    });
    const kernel = createKernel({
      config: config([instance('in', input), instance('out', output)]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await kernel.start();
    expect(await kernel.stop()).toEqual([]);
    expect(order).toEqual([
      'setup input',
      'setup output',
      'start output',
      'deliver tx.removed (started: true)',
      'stop output',
      'onStop output',
    ]);
  });

  it('a throwing handle stop is reported like a throwing onStop handler, and the others still run', async () => {
    const order: string[] = [];
    const output = defineOutput({
      name: 'bad-stop',
      options: NoOptions,
      defaultEvents: ['tx.*'],
      setup(ctx) {
        ctx.onStop(() => void order.push('onStop'));
        return {
          deliver() {},
          stop() {
            throw new Error('stop broke');
          },
        };
      },
    });
    const kernel = createKernel({
      config: config([instance('out', output)]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await kernel.start();
    const errors = await kernel.stop();
    expect(errors.map((e) => (e as Error).message)).toEqual(['[out] stop failed: stop broke']);
    expect(order).toEqual(['onStop']);
  });
});

describe('resolve: options resolved once', () => {
  it('runs once per configuration load; its result is ctx.options at setup (not the raw options)', async () => {
    const cfg = await parseConfig(
      ['outputs:', '  r: { use: ./plugins/resolving.mjs, every: 5s, tags: [a, b] }'].join('\n'),
      'config.yaml',
      FIXTURES,
      {},
    );
    expect(calls().resolve).toBe(1);
    const dir = await mkdtemp(join(tmpdir(), 'spout-handle-'));
    try {
      const kernel = createKernel({ config: cfg, log: captureLog().log, store: createMemoryStore() });
      await kernel.start();
      expect(await kernel.stop()).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(calls().resolve).toBe(1);
    expect(calls().order).toEqual(['setup 5000', 'start', 'stop', 'onStop']);
  });

  it('its problems are located at their options, all in one pass, with no prefix written by the plugin', async () => {
    const error = await parseConfig(
      [
        'outputs:', //                                                        1
        '  r:', //                                                            2
        '    use: ./plugins/resolving.mjs', //                                3
        '    every: soon', //                                                 4
        '    tags: [ok, Bad]', //                                             5
      ].join('\n'),
      'config.yaml',
      FIXTURES,
      {},
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => `${p.line} ${p.path} ${p.message}`)).toEqual([
      '4 outputs.r.every must be seconds, such as 5s',
      '5 outputs.r.tags.1 must be lower case ("bad")',
    ]);
    const whole = await parseConfig(
      'outputs:\n  r: { use: ./plugins/resolving.mjs, every: 13s }',
      'config.yaml',
      FIXTURES,
      {},
    ).catch((e: unknown) => e);
    expect((whole as ConfigError).problems.map((p) => `${p.path} ${p.message}`)).toEqual([
      'outputs.r is unlucky as a whole',
    ]);
  });

  it('a configuration built in code is resolved by the kernel at setup; an option problem there names the option in full', async () => {
    let seen: unknown;
    const output = defineOutput({
      name: 'typed',
      options: Type.Object({ every: Type.String() }),
      defaultEvents: ['tx.*'],
      resolve: (o) => {
        if (!/^\d+s$/.test(o.every)) throw optionError('every', 'must be seconds, such as 5s');
        return { everyMs: parseInt(o.every, 10) * 1000 };
      },
      setup(ctx) {
        seen = ctx.options.everyMs;
        return { deliver() {} };
      },
    });
    const ok = createKernel({
      config: config([instance('out', output, { options: { every: '7s' } })]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await ok.start();
    await ok.stop();
    expect(seen).toBe(7000);
    const bad = createKernel({
      config: config([instance('out', output, { options: { every: 'soon' } })]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await expect(bad.start()).rejects.toMatchObject({
      code: 'SPOUT_CONFIG_INVALID',
      message: '[out] outputs.out.every must be seconds, such as 5s',
      scope: { instance: 'out', phase: 'setup', option: 'every' },
    });
  });
});
