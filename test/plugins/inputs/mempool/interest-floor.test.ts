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

// Issue 17, "non-whale transactions are dropped as early as the value is known": with every
// reader of tx.seen having declared a floor (the whale detector its threshold, the correlation
// job none of its own), the mempool input sums a transaction's outputs and skips it at or below
// the floor before reading it. On the fake mempool.space server with block 277647's transactions.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const valueOf = (tx: EsploraTx) => tx.vout.reduce((s, o) => s + o.value, 0);
const FLOOR = 50e8;

async function start(extra = '') {
  const fake: FakeMempool = await startFakeMempool();
  cleanups.push(() => fake.close());
  const run = await runYaml(
    [
      'inputs:',
      `  feed: { use: mempool, url: "${fake.url}" }`,
      'detectors:',
      '  whales: { use: whale, thresholdBtc: 50 }',
      '  urgency: { use: urgency }',
      '  rbf: { use: rbf }',
      'jobs:',
      '  correlation: { use: correlation }',
      extra,
    ].join('\n'),
  );
  cleanups.push(run.stop);
  await fake.waitForMessage(isTrackMempool());
  const skipped = async () => {
    const text = await run.kernel.metrics.registry.getSingleMetricAsString('spout_input_skipped_total');
    return Number(/spout_input_skipped_total\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
  };
  const rejected = async () => {
    const text = await run.kernel.metrics.registry.getSingleMetricAsString('spout_input_rejected_total');
    return [...text.matchAll(/reason="([^"]+)"[^}]*\} (\d+)/g)].map((m) => `${m[1]}:${m[2]}`);
  };
  return { fake, run, skipped, rejected };
}

describe.skipIf(!hasFixtures)('the interest floor at the mempool input', () => {
  it('skips transactions at or below the whale threshold, publishes every whale, and reads all once a floor-less reader subscribes', async () => {
    const { fake, run, skipped } = await start();
    const txs = loadBlock277647().slice(1);
    const [first, second] = [txs.slice(0, 106), txs.slice(106)];
    const bigIn = (part: EsploraTx[]) => part.filter((t) => valueOf(t) > FLOOR);
    expect(bigIn(first).length).toBeGreaterThan(0);
    expect(run.kernel.memory.level()).toBe('normal'); // not shedding: this is the floor at rest

    fake.pushMempool({ added: first });
    await waitFor(() => run.of('whale.detected').length === bigIn(first).length, 5000, 'the whales');
    await waitFor(async () => (await skipped()) === first.length - bigIn(first).length, 5000, 'the count');
    expect(run.of('tx.seen').map((e) => (e.data as TxSeen).txid)).toEqual(bigIn(first).map((t) => t.txid));
    expect(run.of('whale.detected').map((e) => (e.data as WhaleSignal).txid)).toEqual(
      bigIn(first).map((t) => t.txid),
    );

    // A program embedding the kernel reads every tx.seen (no floor): nothing is skipped any more.
    const read: string[] = [];
    const off = run.kernel.bus.subscribe(
      'embedder',
      ['tx.seen'],
      (e) => void read.push((e.data as TxSeen).txid),
    );
    fake.pushMempool({ added: second });
    await waitFor(() => read.length === second.length, 5000, 'every transaction of the second part');
    expect(read).toEqual(second.map((t) => t.txid));
    expect(await skipped()).toBe(first.length - bigIn(first).length);
    off();
  });

  it('a reader that declared no floor keeps every transaction read: an output routed tx.seen', async () => {
    const { fake, run, skipped } = await start(
      ['outputs:', '  everything: { use: console, format: json, events: [tx.seen] }'].join('\n'),
    );
    const txs = loadBlock277647().slice(1, 40);
    const writes: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (
      writes.push(String(chunk)),
      true
    )) as typeof process.stdout.write;
    try {
      fake.pushMempool({ added: txs });
      // Lines, not writes: the console writes the lines of one turn of the event loop together.
      const lines = () =>
        writes
          .join('')
          .split('\n')
          .filter((l) => l.includes('"tx.seen"')).length;
      await waitFor(() => lines() === txs.length, 5000, 'every transaction on the console');
    } finally {
      process.stdout.write = write;
    }
    expect(run.of('tx.seen')).toHaveLength(txs.length);
    expect(await skipped()).toBe(0);
  });

  it('a small transaction that is malformed is refused with its reason, not skipped; a small replacement is announced, not read', async () => {
    const { fake, run, skipped, rejected } = await start();
    const txs = loadBlock277647().slice(1);
    const small = txs.filter((t) => valueOf(t) <= FLOOR);
    const whale = txs.find((t) => valueOf(t) > 100e8) as EsploraTx;
    const bad = { ...small[0], txid: 'not-a-txid' } as unknown as EsploraTx;
    const negative = { ...small[1], vout: [{ ...small[1]!.vout[0], value: -1 }] } as EsploraTx;
    fake.pushMempool({ added: [bad, negative, small[2]!, whale] });
    await waitFor(() => run.of('whale.detected').length === 1, 5000, 'the whale');
    await waitFor(async () => (await skipped()) === 1, 5000, 'one skipped');
    expect((await rejected()).sort()).toEqual(['bad-amount:1', 'bad-id:1']);

    const by = small[3] as EsploraTx;
    fake.pushMempool({ replaced: [{ replaced: whale.txid, by }] });
    await waitFor(() => run.of('tx.replaced').length === 1, 5000, 'the replacement');
    await run.kernel.bus.drain();
    expect(run.of('tx.replaced')[0]?.data).toMatchObject({ txid: whale.txid, byTxid: by.txid });
    expect(run.of('tx.seen').map((e) => (e.data as TxSeen).txid)).toEqual([whale.txid]);
  });
});
