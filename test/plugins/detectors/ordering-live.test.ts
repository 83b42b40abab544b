import { afterEach, describe, expect, it } from 'vitest';
import type { WhaleSignal } from '../../../src/bus/events.js';
import { isTrackMempool, startFakeMempool, waitFor } from '../../helpers/fake-mempool.js';
import {
  hasFixtures,
  loadBlock277647,
  loadRbfPairs,
  scaleTx,
  type EsploraTx,
} from '../../helpers/fixtures.js';
import { runYaml } from '../../helpers/run-yaml.js';

// The real input reading frames the fake server sends back to back: ws delivers those that
// arrive together in one tick, so their events are published in one burst.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const total = (tx: EsploraTx) => tx.vout.reduce((s, o) => s + o.value, 0);

async function start() {
  const fake = await startFakeMempool();
  cleanups.push(() => fake.close());
  const run = await runYaml(
    `inputs:\n  feed: { use: mempool, url: "${fake.url}" }\ndetectors:\n  whales: { use: whale, thresholdBtc: 100 }\n  rbf: { use: rbf }\n  urgency: { use: urgency }\n`,
  );
  cleanups.push(run.stop);
  await fake.waitForMessage(isTrackMempool());
  const whales = () => run.of('whale.detected').map((e) => e.data as WhaleSignal);
  return { fake, run, whales };
}

describe.skipIf(!hasFixtures)('detector state through the mempool input, frames back to back', () => {
  it('each replacement lists the whale it replaced, its frame right after another', async () => {
    const { fake, whales } = await start();
    const pairs = loadRbfPairs().map((p) => {
      const factor = Math.ceil(150e8 / total(p.replaced));
      return { replaced: scaleTx(p.replaced, factor), by: scaleTx(p.by, factor) };
    });
    const small = loadBlock277647().filter((t) => total(t) < 1e8);
    fake.pushMempool({ added: pairs.map((p) => p.replaced) });
    await waitFor(() => whales().length === pairs.length, 5000, 'the replaced whales');
    pairs.forEach((p, i) => {
      fake.pushMempool({ added: [small[i] as EsploraTx] });
      fake.pushMempool({ replaced: [{ replaced: p.replaced.txid, by: p.by }] });
    });
    await waitFor(() => whales().length === 2 * pairs.length, 5000, 'the replacements');
    expect(
      whales()
        .slice(pairs.length)
        .map((w) => [w.txid, w.rbf?.replaces]),
    ).toEqual(pairs.map((p) => [p.by.txid, [p.replaced.txid]]));
  });

  it('a whale right after a new price is valued at it', async () => {
    const { fake, run, whales } = await start();
    await waitFor(() => run.of('mempool.stats').length > 0, 5000, 'the init payload’s stats');
    const [small1, small2, big] = loadBlock277647().filter((t) => total(t) < 1e8);
    const whale = scaleTx(big as EsploraTx, Math.ceil(150e8 / total(big as EsploraTx)));
    fake.pushMempool({ added: [small1 as EsploraTx] });
    fake.pushConversions({ USD: 12_345 });
    fake.pushMempool({ added: [small2 as EsploraTx, whale] });
    await waitFor(() => whales().length === 1, 5000, 'the whale');
    const w = whales()[0] as WhaleSignal;
    expect(w.valueUsd).toBe(Math.round(w.valueBtc * 12_345 * 100) / 100);
  });
});
