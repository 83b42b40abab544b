import { afterEach, describe, expect, it } from 'vitest';
import type { TxSeen, WhaleSignal } from '../../../../src/bus/events.js';
import {
  isTrackMempool,
  startFakeMempool,
  waitFor,
  type FakeMempool,
} from '../../../helpers/fake-mempool.js';
import { hasFixtures, loadBlock277647, type EsploraTx } from '../../../helpers/fixtures.js';
import { runYaml } from '../../../helpers/run-yaml.js';

// Issue 17: memory pressure forced through the kernel's RSS sample (limit 1,000 bytes), on the
// fake mempool.space server with block 277647's real transactions. Critical sheds the small
// transactions at the input and never a whale; warning and critical degrade /health's memory
// entry; back below recoverAt, everything is published again.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const valueOf = (tx: EsploraTx) => tx.vout.reduce((s, o) => s + o.value, 0);

describe.skipIf(!hasFixtures)('memory pressure at the mempool input', () => {
  it('critical: small tx.seen shed, every whale published; recovery publishes all again; transitions logged once', async () => {
    const fake: FakeMempool = await startFakeMempool();
    cleanups.push(() => fake.close());
    let rss = 100;
    const run = await runYaml(
      [
        'kernel: { memory: { checkEvery: 1h } }', // checked by hand below
        'inputs:',
        `  feed: { use: mempool, url: "${fake.url}" }`,
        'detectors:',
        '  whales: { use: whale, thresholdBtc: 50 }',
      ].join('\n'),
      // A reader of every tx.seen: without it nothing at or below the threshold is read at all.
      { memorySample: () => rss, memoryLimitBytes: 1000, readsEveryTx: true },
    );
    cleanups.push(run.stop);
    await fake.waitForMessage(isTrackMempool());
    const txs = loadBlock277647().slice(1); // without the coinbase
    const whales = txs.filter((t) => valueOf(t) > 50e8);
    const [first, second] = [txs.slice(0, 150), txs.slice(150, 300)];
    const whalesIn = (part: EsploraTx[]) => part.filter((t) => valueOf(t) > 50e8).length;
    expect(whalesIn(first)).toBeGreaterThan(0);

    rss = 950; // 95% of the limit
    expect(run.kernel.memory.check()).toBe('critical');
    fake.pushMempool({ added: first });
    await waitFor(
      () => run.of('whale.detected').length === whalesIn(first),
      5000,
      'the whales of the first part',
    );
    await run.kernel.bus.drain();
    const seen = run.of('tx.seen').map((e) => e.data as TxSeen);
    expect(seen.every((t) => t.valueSats > 50e8)).toBe(true);
    expect(seen).toHaveLength(whalesIn(first));
    expect(run.log.lines.filter((l) => /memory critical/.test(String(l.msg)))).toHaveLength(2); // kernel + input

    rss = 750; // eases to warning (below warningAt), still above recoverAt: nothing shed any more
    expect(run.kernel.memory.check()).toBe('warning');
    rss = 100;
    expect(run.kernel.memory.check()).toBe('normal');
    fake.pushMempool({ added: second });
    await waitFor(() => run.of('tx.seen').length === seen.length + second.length, 5000, 'every transaction');
    const detected = run.of('whale.detected').map((e) => (e.data as WhaleSignal).txid);
    expect(new Set(detected)).toEqual(
      new Set(whales.filter((w) => first.includes(w) || second.includes(w)).map((w) => w.txid)),
    );
  });
});
