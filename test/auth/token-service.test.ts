import { describe, expect, it } from 'vitest';
import { createKernel } from '../../src/kernel/kernel.js';
import { defineJob } from '../../src/plugin/define.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { captureLog, config, instance, NoOptions } from '../helpers/kernel.js';

// The token hub is a service of the kernel, handed to plugins as ctx.tokens: every instance of
// one kernel shares it, a revocation reaches each one's listener, and it is left at each stop.

describe('ctx.tokens', () => {
  it('one hub per kernel, shared by its instances; a revocation is told to each; left at stop', async () => {
    const told: string[] = [];
    const hubs: unknown[] = [];
    const watcher = defineJob({
      name: 'watcher',
      options: NoOptions,
      async setup(ctx) {
        hubs.push(await ctx.tokens.join((jti) => (told.push(`${ctx.instance} ${jti}`), 1)));
      },
    });
    const store = createMemoryStore();
    const kernel = createKernel({
      config: config([instance('a', watcher), instance('b', watcher)]),
      log: captureLog().log,
      store,
    });
    await kernel.start();
    expect(hubs[0]).toBe(hubs[1]);
    const { hub, release } = await kernel.tokens.join();
    expect(hub).toBe(hubs[0]);
    expect(hub.revoke('jti-1')).toMatchObject({ closed: 2 });
    expect(told.sort()).toEqual(['a jti-1', 'b jti-1']);
    await release();
    await kernel.stop();
    // Every user left: the next join starts a new hub (over the same store, so the revocation stays).
    const next = await kernel.tokens.join();
    expect(next.hub).not.toBe(hub);
    expect(next.hub.registry.isRevoked('jti-1')).toBe(true);
    expect(next.hub.revoke('jti-2')).toMatchObject({ closed: 0 });
    await next.release();
  });

  it('two kernels do not share listeners, even on one store', async () => {
    const store = createMemoryStore();
    const one = createKernel({ config: config([]), log: captureLog().log, store });
    const two = createKernel({ config: config([]), log: captureLog().log, store });
    const told: string[] = [];
    const a = await one.tokens.join(() => (told.push('one'), 1));
    const b = await two.tokens.join(() => (told.push('two'), 1));
    a.hub.revoke('x');
    expect(told).toEqual(['one']);
    await a.release();
    await b.release();
  });
});
