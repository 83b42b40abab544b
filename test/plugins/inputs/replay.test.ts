import { afterEach, describe, expect, it } from 'vitest';
import { runYaml } from '../../helpers/run-yaml.js';

// The replay input paces its items with one timer per pause; each pause's abort listener must go
// with it, or a long paced replay piles listeners on the instance's signal (Node warns past 10).

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

describe('replay input', () => {
  it('publishes paced items in order without piling abort listeners on its signal', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    stops.push(async () => void process.off('warning', onWarning));
    const items = Array.from({ length: 15 }, (_, i) => ({
      type: 'input.status',
      data: { state: 'connected', reason: `item ${i}` },
    }));
    const run = await runYaml(
      `inputs:\n  feed: { use: replay, intervalMs: 1, items: ${JSON.stringify(items)} }\n`,
    );
    stops.push(run.stop);
    for (let i = 0; run.of('input.status').length < 15; i++) {
      if (i > 500) throw new Error('the replay never finished');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(run.of('input.status').map((e) => (e.data as { reason: string }).reason)).toEqual(
      items.map((i) => i.data.reason),
    );
    // Warnings are emitted on the next tick.
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
