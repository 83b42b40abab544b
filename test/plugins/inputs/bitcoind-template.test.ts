import { beforeAll, describe, expect, it } from 'vitest';
import {
  createBlockTemplate,
  type BlockTemplate,
  type MempoolEntry,
  type TemplateBuild,
} from '../../../plugins/inputs/bitcoind/template/index.js';
import { hasGbtVector, loadGbtVector, projectBlocks, type GbtVector } from '../../helpers/gbt.js';

const txid = (n: number) => n.toString(16).padStart(64, '0');
const entry = (fee: number, vsize: number, parents: string[] = []): MempoolEntry => ({
  fee,
  weight: vsize * 4,
  sigops: 0,
  parents,
});
/** `count` transactions of 1,000 vB paying `rate` sat/vB, txids from `first`. */
function fill(t: BlockTemplate, first: number, count: number, rate: number): void {
  for (let i = 0; i < count; i++) t.add(txid(first + i), entry(rate * 1_000, 1_000));
}
const everyBlock = (b: TemplateBuild) => b.blocks.map((_, i) => b.txids(i));

describe.skipIf(!hasGbtVector)(
  'the bitcoind input’s block template on a real mempool (skipped: ../shared/fixtures/mempool-repo/gbt/ absent)',
  () => {
    let vector: GbtVector;
    let template: BlockTemplate;
    let built: TemplateBuild;
    const entryOf = (uid: number): MempoolEntry => {
      const tx = vector.txs.find((t) => t.uid === uid)!;
      return { ...tx, parents: tx.parents.map((p) => vector.txids.get(p)!) };
    };

    beforeAll(() => {
      vector = loadGbtVector();
      template = createBlockTemplate({ maxBlocks: 8 });
      for (const tx of vector.txs) template.add(vector.txids.get(tx.uid)!, entryOf(tx.uid));
      built = template.build();
    });

    it('predicts Core’s next block: precision and recall 1 / 1 (1,767 of 1,767, in Core’s order)', () => {
      expect(template.size).toBe(19_873);
      const core = vector.template.map((uid) => vector.txids.get(uid)!);
      const predicted = built.txids(0);
      const inCore = new Set(core);
      const right = predicted.filter((t) => inCore.has(t)).length;
      // Measured: precision 1 (1,767 / 1,767), recall 1 (1,767 / 1,767).
      expect(right / predicted.length).toBeGreaterThanOrEqual(0.99);
      expect(right / core.length).toBeGreaterThanOrEqual(0.99);
      expect(predicted).toEqual(core);
    });

    it('gives the same blocks as the pure builder on the vector’s own uids, and counts the mempool', () => {
      const direct = projectBlocks(vector.txs);
      expect(built.blocks).toEqual(direct.summaries);
      expect(everyBlock(built)).toEqual(direct.blocks.map((b) => b.map((uid) => vector.txids.get(uid)!)));
      for (const uid of [vector.template[0]!, vector.template.at(-1)!, direct.blocks.at(-1)![0]!]) {
        const id = vector.txids.get(uid)!;
        expect(built.effectiveRate(id)).toBe(direct.effectiveRate.get(uid));
        expect(built.position(id)).toEqual(direct.position.get(uid));
      }
      const vsize = vector.txs.reduce((s, t) => s + Math.max(Math.ceil(t.weight / 4), t.sigops * 5), 0);
      expect(template.vsize).toBe(vsize);
    });

    it('gives the same blocks after a transaction is removed and added back', () => {
      // A parent of another transaction in the next block: removing it changes the template.
      const uid = vector.template.find((u) => vector.txs.some((t) => t.parents.includes(u)))!;
      const id = vector.txids.get(uid)!;
      expect(template.remove(id)).toBe(true);
      expect(template.has(id)).toBe(false);
      const without = template.build();
      expect(without.txids(0)).not.toContain(id);
      expect(without.effectiveRate(id)).toBeUndefined();
      // The earlier build is a snapshot: it still answers for the removed transaction.
      expect(built.effectiveRate(id)).toBeGreaterThan(0);
      template.add(id, entryOf(uid));
      const again = template.build();
      expect(again).not.toBe(built);
      expect(again.blocks).toEqual(built.blocks);
      expect(everyBlock(again)).toEqual(everyBlock(built));
      expect(again.position(id)).toEqual(built.position(id));
      expect(template.size).toBe(19_873);
    });
  },
);

describe('the bitcoind input’s block template', () => {
  // 997 fillers of 1,000 vB fill a block (Core stops short of 3,996,000 WU): the gap left is
  // under 1,000 vB, so the parent and child below (1,000 vB each) fit it only as a package.
  it('lets a CPFP child pull its low-fee parent into the next block, both at the package rate', () => {
    const t = createBlockTemplate({ maxBlocks: 8 });
    fill(t, 1_000, 1_100, 10); // 1.1 blocks at 10 sat/vB
    t.add(txid(1), entry(1_000, 1_000)); // 1 sat/vB
    expect(t.build().position(txid(1))).toEqual({ block: 1, vsize: 103_500 });
    t.add(txid(2), entry(99_000, 1_000, [txid(1)])); // package: 100,000 sats / 2,000 vB
    const b = t.build();
    expect(b.position(txid(1))).toEqual({ block: 0, vsize: 500 });
    expect(b.position(txid(2))).toEqual({ block: 0, vsize: 1_500 });
    expect(b.effectiveRate(txid(1))).toBe(50);
    expect(b.effectiveRate(txid(2))).toBe(50);
    expect(b.txids(0).slice(0, 2)).toEqual([txid(1), txid(2)]);
    expect(b.blocks.map((x) => x.nTx)).toEqual([997, 105]);
    expect(b.blocks[0]?.vsize).toBe(997_000);
    expect(b.blocks[0]?.feeRange.at(-1)).toBe(50);
  });

  it('ignores parents not in the mempool, and links them once they arrive', () => {
    const t = createBlockTemplate({ maxBlocks: 8 });
    fill(t, 1_000, 1_100, 10);
    t.add(txid(2), entry(99_000, 1_000, [txid(1)]));
    const alone = t.build();
    expect(alone.effectiveRate(txid(2))).toBe(99);
    expect(alone.position(txid(2))).toEqual({ block: 0, vsize: 500 });
    t.add(txid(1), entry(1_000, 1_000));
    const linked = t.build();
    expect(linked.effectiveRate(txid(2))).toBe(50);
    expect(linked.txids(0).slice(0, 2)).toEqual([txid(1), txid(2)]);
  });

  it('breaks ties by txid as Core does (bytes in internal order, smaller first)', () => {
    const t = createBlockTemplate({ maxBlocks: 8 });
    const [a, b] = ['01'.padEnd(64, '0'), '01'.padStart(64, '0')]; // internal order: a < b
    t.add(b, entry(1_000, 100));
    t.add(a, entry(1_000, 100));
    expect(t.build().txids(0)).toEqual([a, b]);
  });

  it('returns the same build while the mempool is unchanged', () => {
    const t = createBlockTemplate({ maxBlocks: 8 });
    fill(t, 1, 10, 5);
    const first = t.build();
    expect(t.build()).toBe(first);
    expect(t.remove(txid(999))).toBe(false);
    expect(t.build()).toBe(first);
    t.add(txid(999), entry(500, 100));
    const second = t.build();
    expect(second).not.toBe(first);
    expect(t.build()).toBe(second);
    expect(first.txids(0)).toHaveLength(10);
    expect(second.txids(0)).toHaveLength(11);
  });

  it('projects no block for an empty mempool', () => {
    const t = createBlockTemplate({ maxBlocks: 8 });
    const b = t.build();
    expect(b.blocks).toEqual([]);
    expect(b.txids(0)).toEqual([]);
    expect(b.effectiveRate(txid(1))).toBeUndefined();
    expect(b.position(txid(1))).toBeUndefined();
    expect([t.size, t.vsize]).toEqual([0, 0]);
    t.add(txid(1), entry(100, 100));
    expect(t.remove(txid(1))).toBe(true);
    expect(t.build().blocks).toEqual([]);
  });

  it('stacks what is left in the last block, summarized by weight bands as mempool.space does', () => {
    const t = createBlockTemplate({ maxBlocks: 2 });
    for (const [k, rate] of [30, 20, 10, 5].entries()) fill(t, 10_000 * (k + 1), 997, rate);
    const b = t.build();
    expect(b.blocks.map((x) => x.nTx)).toEqual([997, 3 * 997]);
    const stack = b.blocks[1]!;
    expect(stack.vsize).toBe(2_991_000);
    // Eleven bands from the top of the stack (0.25%, 10% … 90%, 99.75% of its weight), lowest first.
    expect(stack.feeRange).toEqual([5, 5, 5, 5, 10, 10, 10, 20, 20, 20, 20]);
    expect(stack.medianFee).toBe(10);
    expect(b.blocks[0]).toMatchObject({ feeRange: [30, 30, 30, 30, 30, 30, 30], medianFee: 30 });
    const deep = b.position(txid(40_000))!;
    expect(deep.block).toBe(1);
    expect(deep.vsize).toBeGreaterThan(1_994_000);
    expect(deep.vsize).toBeLessThan(2_991_000);
  });
});
