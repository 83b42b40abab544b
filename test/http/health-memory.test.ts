import { afterEach, describe, expect, it } from 'vitest';
import { startSpout } from '../helpers/ws/server.js';

// Issue 17: /health and /metrics under memory pressure (RSS forced through the kernel's sample).

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('/health under memory pressure', () => {
  it('degraded with the reason at warning and critical, healthy again below recoverAt; the level is a metric', async () => {
    let rss = 100;
    const s = await startSpout(
      ['kernel: { memory: { checkEvery: 1h } }', 'jobs:', '  api: { use: api }'].join('\n'),
      {
        memorySample: () => rss,
        memoryLimitBytes: 1000 * 2 ** 20,
      },
    );
    cleanups.push(s.stop);
    const health = async () => (await fetch(`${s.base}/health`)).json() as Promise<Record<string, any>>;
    const level = async () =>
      /spout_memory_pressure_level (\d)/.exec(await (await fetch(`${s.base}/metrics`)).text())?.[1];

    expect(await health()).toMatchObject({
      status: 'healthy',
      memory: { level: 'normal', limitBytes: 1000 * 2 ** 20 },
    });
    rss = 820 * 2 ** 20;
    s.kernel.memory.check();
    const warning = await health();
    expect(warning.status).toBe('degraded');
    expect(warning.memory.reason).toBe('memory warning (RSS 820 MB of a 1000 MB limit): caches shrunk');
    expect(await level()).toBe('1');
    rss = 950 * 2 ** 20;
    s.kernel.memory.check();
    expect((await health()).memory.reason).toMatch(
      /^memory critical \(RSS 950 MB of a 1000 MB limit\): .*shed/,
    );
    expect(await level()).toBe('2');
    rss = 600 * 2 ** 20;
    s.kernel.memory.check();
    const back = await health();
    expect(back.status).toBe('healthy');
    expect(back.memory).toEqual({ level: 'normal', rssBytes: 600 * 2 ** 20, limitBytes: 1000 * 2 ** 20 });
    expect(await level()).toBe('0');
  });

  it('kernel.memory shares out of order are refused at load with how to fix them', async () => {
    await expect(
      startSpout('kernel: { memory: { warningAt: 0.95 } }\njobs:\n  api: { use: api }'),
    ).rejects.toThrow(/recoverAt \(0\.7\) < warningAt \(0\.95\) < criticalAt \(0\.9\) must hold/);
  });
});
