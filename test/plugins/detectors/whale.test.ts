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
          // Every transaction read (none skipped under the threshold): the detector decides each.
          { readsEveryTx: true },
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

/** A `tx.seen` spending `[address, sats]` inputs into `[address, sats]` outputs. */
const spend = (
  txid: string,
  inputs: ReadonlyArray<readonly [string, number]>,
  outputs: ReadonlyArray<readonly [string | null, number]>,
) => ({
  type: 'tx.seen',
  data: {
    ...tx(
      txid,
      outputs.reduce((s, [, v]) => s + v, 0),
    ).data,
    inputs: inputs.map(([address, valueSats], vout) => ({
      txid: 'e'.repeat(64),
      vout,
      sequence: 0xffffffff,
      address,
      valueSats,
    })),
    outputs: outputs.map(([address, valueSats]) => ({ address, valueSats })),
  },
});

const [A, B, C] = ['A', 'B', 'C'].map((c) => `1${c.repeat(33)}`) as [string, string, string];

describe('whale detector: transferred amount', () => {
  // 1 BTC paid, 500.12345678 BTC of (non-round) change.
  const oneOfFiveHundred = spend(
    '1'.repeat(64),
    [[A, 50_112_355_678]],
    [
      [B, 100_000_000],
      [C, 50_012_345_678],
    ],
  );
  // 150.12345678 BTC paid, the rest back to the input's address.
  const reused = spend(
    '2'.repeat(64),
    [[A, 40_000_000_000]],
    [
      [B, 15_012_345_678],
      [A, 24_987_644_322],
    ],
  );
  // Exactly 100 BTC paid (round) beside 3.02775338 BTC of change, as d3852055… in block 277647.
  const exactlyHundred = spend(
    '3'.repeat(64),
    [[A, 10_302_785_338]],
    [
      [B, 10_000_000_000],
      [C, 302_775_338],
    ],
  );
  // 100.00000001 BTC paid, the rest back to the input's address.
  const justOver = spend(
    '4'.repeat(64),
    [[A, 30_000_000_000]],
    [
      [B, 10_000_000_001],
      [A, 19_999_989_999],
    ],
  );
  const items = [
    oneOfFiveHundred,
    reused,
    exactlyHundred,
    justOver,
    tx('5'.repeat(64), 200e8),
    tx('6'.repeat(64), 99e8),
  ];

  async function whalesOf(detector: string, feed: unknown[] = items, count = feed.length) {
    const run = await runYaml(
      `inputs:\n  feed: { use: replay, items: ${JSON.stringify(feed)} }\ndetectors:\n  whales: ${detector}\n`,
    );
    cleanups.push(run.stop);
    await waitFor(() => run.of('tx.seen').length === count, 5000, `${count} tx.seen`);
    await run.kernel.bus.drain();
    return run.of('whale.detected').map((e) => e.data as WhaleSignal);
  }

  it('puts transferredSats and changeRule on every signal; the total still decides by default', async () => {
    const whales = await whalesOf('{ use: whale, thresholdBtc: 100 }');
    expect(whales.map((w) => [w.txid[0], w.valueSats, w.transferredSats, w.changeRule])).toEqual([
      ['1', 50_112_345_678, 100_000_000, 'round-amount'],
      ['2', 39_999_990_000, 15_012_345_678, 'address-reuse'],
      ['3', 10_302_775_338, 10_000_000_000, 'round-amount'],
      ['4', 29_999_990_000, 10_000_000_001, 'address-reuse'],
      ['5', 20_000_000_000, 20_000_000_000, 'none'],
    ]);
    expect(whales[0]).toMatchObject({
      valueBtc: 501.12345678,
      url: `https://mempool.space/tx/${'1'.repeat(64)}`,
    });
  });

  it('thresholdOn: total keeps the boundary on the sum of all outputs', async () => {
    const whales = await whalesOf('{ use: whale, thresholdBtc: 100, thresholdOn: total }');
    expect(whales.map((w) => w.txid[0])).toEqual(['1', '2', '3', '4', '5']);
  });

  it('thresholdOn: transferred admits strictly above the threshold on the amount without the change', async () => {
    const whales = await whalesOf('{ use: whale, thresholdBtc: 100, thresholdOn: transferred }');
    // 1: 1 BTC moved; 3: exactly 100 BTC (not a whale at 100); 6: 99 BTC in total.
    expect(whales.map((w) => [w.txid[0], w.transferredSats, w.changeRule])).toEqual([
      ['2', 15_012_345_678, 'address-reuse'],
      ['4', 10_000_000_001, 'address-reuse'],
      ['5', 20_000_000_000, 'none'],
    ]);
    expect(whales[0]!.valueSats).toBe(39_999_990_000); // the signal's value stays the total
  });

  it('offers total and transferred for thresholdOn, and nothing else', async () => {
    await expect(runYaml('detectors:\n  whales: { use: whale, thresholdOn: change }\n')).rejects.toThrow(
      /thresholdOn.*total.*transferred/s,
    );
  });

  it('with thresholdOn: transferred, minUsd compares the transferred value too (valueUsd stays the total’s)', async () => {
    const stats = {
      type: 'mempool.stats',
      data: { projectedBlocks: [], recommendedFees: null, mempoolVsize: 0, usdPrice: 50_000 },
    };
    // 300 BTC ($15M) of which 150.12345678 BTC ($7.5M) moved; 400 BTC of which 250 BTC ($12.5M).
    const half = spend(
      '7'.repeat(64),
      [[A, 30_000_010_000]],
      [
        [B, 15_012_345_678],
        [A, 14_987_654_322],
      ],
    );
    const most = spend(
      '8'.repeat(64),
      [[A, 40_000_010_000]],
      [
        [B, 25_000_000_000],
        [A, 15_000_000_000],
      ],
    );
    const feed = [stats, half, most];
    const transferred = await whalesOf(
      '{ use: whale, thresholdBtc: 100, minUsd: 10000000, thresholdOn: transferred }',
      feed,
      2,
    );
    expect(transferred.map((w) => [w.txid[0], w.valueUsd])).toEqual([['8', 20_000_000]]);
    const total = await whalesOf('{ use: whale, thresholdBtc: 100, minUsd: 10000000 }', feed, 2);
    expect(total.map((w) => [w.txid[0], w.valueUsd])).toEqual([
      ['7', 15_000_000],
      ['8', 20_000_000],
    ]);
  });
});

describe.skipIf(!hasFixtures)(
  'whale detector: transferred amount on mainnet block 277647 (fake server, real input)',
  () => {
    async function whalesAt(detector: string) {
      const fake: FakeMempool = await startFakeMempool();
      cleanups.push(() => fake.close());
      const run = await runYaml(
        `inputs:\n  feed: { use: mempool, url: "${fake.url}" }\ndetectors:\n  whales: ${detector}\n`,
        { readsEveryTx: true },
      );
      cleanups.push(run.stop);
      await fake.waitForMessage(isTrackMempool());
      fake.pushMempool({ added: loadBlock277647().slice(1) });
      await waitFor(() => run.of('tx.seen').length === 212, 5000, '212 tx.seen');
      await run.kernel.bus.drain();
      return run.of('whale.detected').map((e) => e.data as WhaleSignal);
    }

    it('total: the three whales carry what really moved (100 BTC, 927 BTC undecided, 0.693 BTC)', async () => {
      const whales = await whalesAt('{ use: whale, thresholdBtc: 100 }');
      expect(whales.map((w) => [w.txid.slice(0, 8), w.transferredSats, w.changeRule])).toEqual([
        ['d3852055', 10_000_000_000, 'round-amount'],
        ['5143ba55', 92_700_000_000, 'none'],
        ['712db987', 69_300_000, 'round-amount'],
      ]);
    });

    it('transferred: only 5143ba55… stays a whale at 100 BTC', async () => {
      const whales = await whalesAt('{ use: whale, thresholdBtc: 100, thresholdOn: transferred }');
      expect(whales.map((w) => [w.txid.slice(0, 8), w.valueSats, w.transferredSats])).toEqual([
        ['5143ba55', 92_700_000_000, 92_700_000_000],
      ]);
    });
  },
);
