import { afterEach, describe, expect, it } from 'vitest';
import type {
  MempoolStats,
  TxSeen,
  WhaleConfirmed,
  WhaleSignal,
  WhaleUpdated,
} from '../../../src/bus/events.js';
import type { PredictionRecord } from '../../../src/store/records.js';
import { runYaml } from '../../helpers/run-yaml.js';

// A pending whale's prediction follows the position its input's server now projects (tx.position):
// whale.updated when the predicted block moves, never for other transactions, never once settled.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const W = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

const seen = (txid: string, btc: number): TxSeen => ({
  txid,
  valueSats: Math.round(btc * 1e8),
  feeSats: 20 * 200,
  vsize: 200,
  feeRate: 20,
  position: { block: 0, vsize: 1000 },
  inputs: [],
  outputs: [],
  rbfSignaling: false,
  firstSeen: '2026-11-21T10:00:00.000Z',
});

const stats: MempoolStats = {
  projectedBlocks: Array.from({ length: 8 }, () => ({
    feeRange: [5, 6, 8, 10, 12, 15, 20],
    medianFee: 10,
    nTx: 3000,
    vsize: 998_000,
  })),
  recommendedFees: null,
  mempoolVsize: 8e6,
  usdPrice: 50_000,
  blockIntervalMinutes: 10,
};

async function start(extra = '') {
  const run = await runYaml(
    `inputs:\n  feed: { use: replay }\ndetectors:\n  whales: { use: whale }\n  urgency: { use: urgency }\n${extra}`,
  );
  cleanups.push(run.stop);
  const publish = run.kernel.bus.publish.bind(run.kernel.bus);
  const updates = () => run.of('whale.updated').map((e) => e.data as WhaleUpdated);
  const at = (txid: string, block: number, vsize = 500) =>
    publish('tx.position', { txid, block, vsize }, 'feed');
  return { run, publish, updates, at };
}

describe('urgency: following pending whales (tx.position → whale.updated)', () => {
  it('publishes whale.updated only when the predicted block changes, with the new urgency and ETA', async () => {
    const { run, publish, updates, at } = await start();
    publish('mempool.stats', stats, 'feed');
    publish('tx.seen', seen(W, 500), 'feed');
    at(W, 0); // still the next block
    at(W, 2); // now the third
    at(W, 2, 900_000); // elsewhere in the same block
    at(W, 0, 10);
    await run.kernel.bus.drain();
    const detected = run.of('whale.detected')[0]?.data as WhaleSignal;
    expect(detected.urgency?.predictedBlocks).toBe(1);
    expect(updates().map((u) => [u.urgency.predictedBlocks, u.eta.blocks])).toEqual([
      [3, 3],
      [1, 1],
    ]);
    expect(updates()[0]).toMatchObject({
      txid: W,
      urgency: { level: 'medium', basis: 'projected-position' },
      eta: { blocks: 3 },
    });
    expect(updates()[1]?.urgency.level).toMatch(/high|critical/);
    // Moment ids: the return to block 1 is a new event, not a repeat of an earlier one.
    const ids = run.of('whale.updated').map((e) => e.id);
    expect(new Set(ids).size).toBe(2);
  });

  it('ignores positions of transactions it did not annotate, and of whales confirmed, replaced or removed', async () => {
    const { run, publish, updates, at } = await start();
    const ids = ['c', 'd', 'e'].map((c) => c.repeat(64));
    publish('mempool.stats', stats, 'feed');
    publish('tx.seen', seen(OTHER, 0.5), 'feed'); // no whale
    for (const id of ids) publish('tx.seen', seen(id, 500), 'feed');
    at(OTHER, 5);
    at('f'.repeat(64), 5); // never seen
    publish(
      'block.connected',
      { height: 1, hash: '1'.repeat(64), time: '2026-11-21T10:05:00.000Z', txids: [ids[0]!] },
      'feed',
    );
    publish('tx.replaced', { txid: ids[1]!, byTxid: '2'.repeat(64), fullRbf: false }, 'feed');
    publish('tx.removed', { txid: ids[2]!, reason: 'evicted' }, 'feed');
    for (const id of ids) at(id, 5);
    await run.kernel.bus.drain();
    expect(run.of('whale.detected')).toHaveLength(3);
    expect(updates()).toEqual([]);
  });

  it('leaves the correlation job’s prediction as made at detection', async () => {
    const { run, publish, at } = await start('jobs:\n  correlation: { use: correlation }\n');
    publish('mempool.stats', stats, 'feed');
    publish('tx.seen', seen(W, 500), 'feed');
    at(W, 4);
    at(W, 6);
    await run.kernel.bus.drain();
    expect(run.of('whale.updated')).toHaveLength(2);
    const prediction = run.store.collection<PredictionRecord>('predictions').get(W);
    expect(prediction).toMatchObject({ txid: W, predictedBlocks: 1 });
    publish(
      'block.connected',
      { height: 2, hash: '3'.repeat(64), time: '2026-11-21T10:10:00.000Z', txids: [W] },
      'feed',
    );
    await run.kernel.bus.drain();
    const confirmed = run.of('whale.confirmed')[0]?.data as WhaleConfirmed;
    expect(confirmed.predictedBlocks).toBe(1);
  });
});
