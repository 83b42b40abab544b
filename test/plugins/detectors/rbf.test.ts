import { afterEach, describe, expect, it } from 'vitest';
import type { WhaleReplaced, WhaleSignal } from '../../../src/bus/events.js';
import { startFakeMempool, waitFor, type FakeMempool, isTrackMempool } from '../../helpers/fake-mempool.js';
import { hasFixtures, loadRbfPairs } from '../../helpers/fixtures.js';
import { scaleTx } from '../../helpers/fixtures.js';
import { runYaml } from '../../helpers/run-yaml.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const scaled = scaleTx;

describe.skipIf(!hasFixtures)('rbf detector on the real RBF pairs, scaled to whale size', () => {
  it('the replacement’s signal lists the replaced txid, and the replaced whale is reported replaced', async () => {
    const fake: FakeMempool = await startFakeMempool();
    cleanups.push(() => fake.close());
    const run = await runYaml(
      `inputs:\n  feed: { use: mempool, url: "${fake.url}" }\ndetectors:\n  whales: { use: whale, thresholdBtc: 100 }\n  rbf: { use: rbf, emitReplaced: true }\n`,
    );
    cleanups.push(run.stop);
    await fake.waitForMessage(isTrackMempool());
    const pairs = loadRbfPairs().map((p) => {
      const total = p.replaced.vout.reduce((s, o) => s + o.value, 0);
      const factor = Math.ceil(150e8 / total); // every pair above 100 BTC
      return { replaced: scaled(p.replaced, factor), by: scaled(p.by, factor) };
    });
    fake.pushMempool({ added: pairs.map((p) => p.replaced) });
    await waitFor(() => run.of('whale.detected').length === pairs.length, 5000, 'the replaced whales');
    for (const w of run.of('whale.detected'))
      expect((w.data as WhaleSignal).rbf).toMatchObject({ replaces: [] });

    fake.pushMempool({ replaced: pairs.map((p) => ({ replaced: p.replaced.txid, by: p.by })) });
    await waitFor(
      () =>
        run.of('whale.detected').length === 2 * pairs.length &&
        run.of('whale.replaced').length === pairs.length,
      5000,
      'replacements',
    );
    const replacements = run
      .of('whale.detected')
      .slice(pairs.length)
      .map((e) => e.data as WhaleSignal);
    expect(replacements.map((w) => [w.txid, w.rbf?.replaces])).toEqual(
      pairs.map((p) => [p.by.txid, [p.replaced.txid]]),
    );
    for (const w of replacements) expect(w.rbf?.confidence).toBe(w.rbf?.signaling ? 0.6 : 0.95);
    expect(run.of('whale.replaced').map((e) => e.data as WhaleReplaced)).toEqual(
      pairs.map((p) => ({
        txid: p.replaced.txid,
        byTxid: p.by.txid,
        fullRbf: !p.replaced.vin.some((v) => v.sequence < 0xfffffffe),
      })),
    );
    expect(run.of('whale.replaced').every((e) => e.source === 'rbf')).toBe(true);
  });
});
