import { afterEach, describe, expect, it } from 'vitest';
import type { MempoolStats, TxSeen, WhaleReplaced, WhaleSignal } from '../../../src/bus/events.js';
import { runYaml } from '../../helpers/run-yaml.js';

// Several frames in one tick (ws's allowSynchronousEvents, the simulator's bursts) publish
// back to back, with the chain already busy on an earlier tx.seen: the state a detector keeps
// from other events must still be what was published before each transaction.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const FEED = 'inputs:\n  feed: { use: replay }\n';

const seen = (txid: string, btc: number, feeRate = 20): TxSeen => ({
  txid,
  valueSats: Math.round(btc * 1e8),
  feeSats: feeRate * 200,
  vsize: 200,
  feeRate,
  inputs: [],
  outputs: [],
  rbfSignaling: true,
  firstSeen: '2026-11-21T10:00:00.000Z',
});

const stats = (usdPrice: number): MempoolStats => ({
  projectedBlocks: [{ feeRange: [5, 6, 8, 10, 12, 15, 20], medianFee: 10, nTx: 3000, vsize: 1e6 }],
  recommendedFees: null,
  mempoolVsize: 1e6,
  usdPrice,
});

const small = (n: number) => seen(n.toString(16).padStart(64, '0'), 0.5);
const whaleId = (c: string) => c.repeat(64);

async function start(detectors: string) {
  const run = await runYaml(`${FEED}detectors:\n${detectors}`);
  cleanups.push(run.stop);
  const publish = run.kernel.bus.publish.bind(run.kernel.bus);
  const whales = () => run.of('whale.detected').map((e) => e.data as WhaleSignal);
  return { run, publish, whales };
}

describe('detector state is in publication order with tx.seen', () => {
  it('a replacement published right after its tx.replaced lists the replaced txid', async () => {
    // rbf annotating first: its annotate runs in the same turn as the admission.
    const { run, publish, whales } = await start(
      '  whales: { use: whale }\n  rbf: { use: rbf }\n  urgency: { use: urgency }\n',
    );
    for (let i = 0; i < 5; i++) {
      publish('tx.seen', small(i), 'feed');
      publish('tx.replaced', { txid: whaleId('a') + i, byTxid: whaleId(`${i}`), fullRbf: false }, 'feed');
      publish('tx.seen', seen(whaleId(`${i}`), 500), 'feed');
    }
    await run.kernel.bus.drain();
    expect(whales().map((w) => [w.txid, w.rbf?.replaces])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [whaleId(`${i}`), [whaleId('a') + i]]),
    );
  });

  it('a whale replaced right after it was seen is reported replaced (emitReplaced)', async () => {
    const { run, publish } = await start(
      '  whales: { use: whale }\n  rbf: { use: rbf, emitReplaced: true }\n',
    );
    const W = whaleId('b');
    publish('tx.seen', small(1), 'feed');
    publish('tx.seen', seen(W, 500), 'feed');
    publish('tx.replaced', { txid: W, byTxid: whaleId('c'), fullRbf: true }, 'feed');
    await run.kernel.bus.drain();
    expect(run.of('whale.replaced').map((e) => e.data as WhaleReplaced)).toEqual([
      { txid: W, byTxid: whaleId('c'), fullRbf: true },
    ]);
  });

  it('a whale published right after mempool.stats is scored on those stats and valued at their price', async () => {
    const { run, publish, whales } = await start('  whales: { use: whale }\n  urgency: { use: urgency }\n');
    publish('tx.seen', small(1), 'feed');
    publish('mempool.stats', stats(50_000), 'feed');
    publish('tx.seen', seen(whaleId('d'), 500), 'feed');
    // A new price applies to the next whale, not to one published before it.
    publish('tx.seen', small(2), 'feed');
    publish('tx.seen', seen(whaleId('e'), 200), 'feed');
    publish('mempool.stats', stats(60_000), 'feed');
    publish('tx.seen', seen(whaleId('f'), 200), 'feed');
    await run.kernel.bus.drain();
    const [d, e, f] = whales();
    expect(d?.urgency?.basis).toBe('projected-blocks');
    expect(d?.urgency?.predictedBlocks).toBe(1);
    expect(d?.valueUsd).toBe(25_000_000);
    expect(e?.valueUsd).toBe(10_000_000);
    expect(f?.valueUsd).toBe(12_000_000);
  });

  it('minUsd applies with the price published right before the transaction', async () => {
    const { run, publish, whales } = await start('  whales: { use: whale, minUsd: 20000000 }\n');
    publish('tx.seen', small(1), 'feed');
    publish('mempool.stats', stats(50_000), 'feed');
    publish('tx.seen', seen(whaleId('1'), 300), 'feed'); // $15M: below minUsd
    publish('tx.seen', seen(whaleId('2'), 500), 'feed'); // $25M
    await run.kernel.bus.drain();
    expect(whales().map((w) => [w.txid, w.valueUsd])).toEqual([[whaleId('2'), 25_000_000]]);
    expect(run.log.lines.some((l) => /not applicable/.test(String(l.msg)))).toBe(false);
  });
});
