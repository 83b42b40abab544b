import { afterEach, describe, expect, it } from 'vitest';
import type { WhaleSignal } from '../../../src/bus/events.js';
import { startFakeMempool, waitFor, type FakeMempool, isTrackMempool } from '../../helpers/fake-mempool.js';
import { hasFixtures, loadBlock277647 } from '../../helpers/fixtures.js';
import { runYaml } from '../../helpers/run-yaml.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const tx = (txid: string, sats: number) => ({
  type: 'tx.seen',
  data: {
    txid,
    valueSats: sats,
    feeSats: 0,
    vsize: 200,
    feeRate: 0,
    inputs: [],
    outputs: [{ address: null, valueSats: sats }],
    rbfSignaling: false,
    firstSeen: '2026-11-21T10:00:00.000Z',
  },
});

describe('whale detector', () => {
  it('is strict at the boundary: 100.00000000 BTC is not a whale at 100, 100.00000001 BTC is', async () => {
    const items = [tx('a'.repeat(64), 100_0000_0000), tx('b'.repeat(64), 100_0000_0001)];
    const run = await runYaml(
      `inputs:\n  feed: { use: replay, items: ${JSON.stringify(items)} }\ndetectors:\n  whales: { use: whale, thresholdBtc: 100 }\n`,
    );
    cleanups.push(run.stop);
    await waitFor(() => run.of('tx.seen').length === 2, 5000, 'two tx.seen');
    await run.kernel.bus.drain();
    expect(run.of('whale.detected').map((e) => (e.data as WhaleSignal).txid)).toEqual(['b'.repeat(64)]);
    expect(run.of('whale.detected')[0]).toMatchObject({
      source: 'whales',
      data: {
        valueSats: 10_000_000_001,
        valueBtc: 100.00000001,
        valueUsd: null,
        status: 'pending',
        url: `https://mempool.space/tx/${'b'.repeat(64)}`,
      },
    });
  });

  it('stamps detectedAt now, never before firstSeen (an input whose clock runs ahead, as the simulator’s)', async () => {
    const ago = new Date(Date.now() - 60_000).toISOString();
    const ahead = new Date(Date.now() + 3_600_000).toISOString();
    const items = [
      { ...tx('c'.repeat(64), 500e8), data: { ...tx('c'.repeat(64), 500e8).data, firstSeen: ago } },
      { ...tx('d'.repeat(64), 500e8), data: { ...tx('d'.repeat(64), 500e8).data, firstSeen: ahead } },
    ];
    const before = Date.now();
    const run = await runYaml(
      `inputs:\n  feed: { use: replay, items: ${JSON.stringify(items)} }\ndetectors:\n  whales: { use: whale }\n`,
    );
    cleanups.push(run.stop);
    await waitFor(() => run.of('whale.detected').length === 2, 5000, 'two whales');
    const [past, future] = run.of('whale.detected').map((e) => e.data as WhaleSignal);
    expect(Date.parse(past!.detectedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(past!.detectedAt)).toBeLessThanOrEqual(Date.now());
    expect(future!.detectedAt).toBe(ahead);
  });

  describe.skipIf(!hasFixtures)('on mainnet block 277647 through the fake server and the real input', () => {
    for (const [threshold, expected] of [
      [
        100,
        [
          'd385205568e5420bc73b190ede001678730d42744d0716d2c5c2b6467cf73082',
          '5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd',
          '712db987272743dd6e02bdd00fd8a0718bbfd04d13495a97eb70cdc42c010b1e',
        ],
      ],
      [1000, []],
    ] as const) {
      it(`finds exactly ${expected.length} whale(s) at threshold ${threshold}`, async () => {
        const fake: FakeMempool = await startFakeMempool();
        cleanups.push(() => fake.close());
        const run = await runYaml(
          `inputs:\n  feed: { use: mempool, url: "${fake.url}" }\ndetectors:\n  whales: { use: whale, thresholdBtc: ${threshold} }\n`,
        );
        cleanups.push(run.stop);
        await fake.waitForMessage(isTrackMempool());
        const block = loadBlock277647();
        fake.pushMempool({ added: block.slice(1) });
        await waitFor(() => run.of('tx.seen').length === 212, 5000, '212 tx.seen');
        await run.kernel.bus.drain();
        const whales = run.of('whale.detected').map((e) => e.data as WhaleSignal);
        expect(whales.map((w) => w.txid)).toEqual(expected);
        for (const w of whales)
          expect(w.valueSats).toBe(
            block.find((t) => t.txid === w.txid)?.vout.reduce((s, o) => s + o.value, 0),
          );
      });
    }
  });
});

describe('whale detector minUsd', () => {
  it('uses the latest USD price; with no price it admits on BTC alone and reports minUsd as not applicable', async () => {
    const stats = (usdPrice: number | null) => ({
      type: 'mempool.stats',
      data: { projectedBlocks: [], recommendedFees: null, mempoolVsize: 0, usdPrice },
    });
    const items = [
      tx('1'.repeat(64), 150e8), // no price yet: admitted, minUsd not applicable
      stats(50_000),
      tx('2'.repeat(64), 150e8), // $7.5M < $10M: not a whale
      tx('3'.repeat(64), 300e8), // $15M: a whale
    ];
    const run = await runYaml(
      `inputs:\n  feed: { use: replay, intervalMs: 20, items: ${JSON.stringify(items)} }\ndetectors:\n  whales: { use: whale, thresholdBtc: 100, minUsd: 10000000 }\n`,
    );
    cleanups.push(run.stop);
    await waitFor(() => run.of('tx.seen').length === 3, 5000, 'three tx.seen');
    await run.kernel.bus.drain();
    expect(
      run
        .of('whale.detected')
        .map((e) => [(e.data as WhaleSignal).txid[0], (e.data as WhaleSignal).valueUsd]),
    ).toEqual([
      ['1', null],
      ['3', 15_000_000],
    ]);
    expect(run.log.lines.find((l) => l.level === 'warn')?.msg).toMatch(
      /minUsd 10000000 not applicable: no USD price/,
    );
    expect(run.kernel.health.report().instances.whales).toMatchObject({ state: 'healthy' }); // the price came: it applies again
  });
});
