/**
 * mempool.space's GBT test vector (../shared/fixtures/mempool-repo/gbt/, see its README): a real
 * mainnet mempool of 19,873 transactions and Bitcoin Core's `getblocktemplate` for it (1,767
 * transactions), and what Spout would see live for that mempool.
 *
 * What Spout would see is derived, not captured, so it is an approximation of what mempool.space
 * would have sent: {@link projectBlocks} runs the production projected-block builder
 * (`plugins/inputs/bitcoind/template/`, a port of mempool.space's Rust GBT and of its
 * `mempool-blocks` statistics). It reproduces Core's template for this vector, in order (a test
 * checks it), as mempool.space's own test of its GBT does.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ProjectedBlock } from '../../src/bus/events.js';
import { placeTx, type PlacedTx } from '../../plugins/detectors/urgency/placement.js';
import { buildProjectedBlocks } from '../../plugins/inputs/bitcoind/template/build.js';
import type { TemplateTx } from '../../plugins/inputs/bitcoind/template/index.js';
import { GBT_FILES, parseMempoolBuffer } from '../../bench/gbt-vector.js';

/** The vector's folder, beside the checkout. */
export const GBT_DIR = new URL('../../../shared/fixtures/mempool-repo/gbt/', import.meta.url);
const FILES = GBT_FILES;

/** True when the three vector files are present. */
export const hasGbtVector: boolean = FILES.every((f) => existsSync(new URL(f, GBT_DIR)));

/** One mempool transaction of the vector: fee in sats, `parents` the uids of in-mempool parents. */
export type VectorTx = TemplateTx;

/** The vector: the mempool, Core's template as uids in template order, and each uid's txid. */
export interface GbtVector {
  txs: VectorTx[];
  template: number[];
  txids: Map<number, string>;
}

export { parseMempoolBuffer };

/** Load the vector from `dir`, a folder URL. */
export function loadGbtVector(dir: URL = GBT_DIR): GbtVector {
  const file = (name: string) => readFileSync(new URL(name, dir));
  const ids = JSON.parse(file('test-data-ids.json').toString()) as Array<[number, string, number]>;
  const uidOf = new Map(ids.map(([uid, txid]) => [txid, uid]));
  const target = JSON.parse(file('target-template.json').toString()) as Array<{ txid: string }>;
  const template = target.map(({ txid }) => {
    const uid = uidOf.get(txid);
    if (uid === undefined) throw new Error(`template txid ${txid} not in the mempool`);
    return uid;
  });
  const txids = new Map(ids.map(([uid, txid]) => [uid, txid]));
  return { txs: parseMempoolBuffer(file('test-buffer.bin')), template, txids };
}

/** What mempool.space would derive from the mempool. */
export interface ProjectedMempool {
  /** Uids per projected block, in block order (block 0 = next). */
  blocks: number[][];
  /** Package (cluster) fee rate by uid: mempool.space's `effectiveFeePerVsize` after the run. */
  effectiveRate: Map<number, number>;
  /** mempool.space's `position` by uid: block index and vB offset of the midpoint. */
  position: Map<number, { block: number; vsize: number }>;
  /** The `mempool-blocks` summaries as Spout parses them. */
  summaries: ProjectedBlock[];
}

/**
 * Project `txs` into up to `maxBlocks` blocks with the production builder
 * ({@link buildProjectedBlocks}: mempool.space's GBT and `mempool-blocks` statistics), keyed by
 * the vector's uids (assigned in txid order, so ties break as in Core).
 */
export function projectBlocks(txs: VectorTx[], maxBlocks = 8): ProjectedMempool {
  const built = buildProjectedBlocks(txs, { maxBlocks });
  const weightOf = new Map(txs.map((tx) => [tx.uid, tx.weight]));
  const effectiveRate = new Map<number, number>();
  const position = new Map<number, { block: number; vsize: number }>();
  built.forEach(({ uids, rates }, block) => {
    let vsize = 0;
    uids.forEach((uid, j) => {
      const own = Math.ceil(weightOf.get(uid)! / 4);
      effectiveRate.set(uid, rates[j]!);
      position.set(uid, { block, vsize: vsize + own / 2 });
      vsize += own;
    });
  });
  return {
    blocks: built.map((b) => b.uids),
    effectiveRate,
    position,
    summaries: built.map((b) => b.summary),
  };
}

/** "In the next block" against Core's template: precision, recall, how many predicted, how many there. */
export type Figures = { precision: number; recall: number; predicted: number; actual: number };

/** A rule and the rate it used, scored over all transactions and over the 100 paying the most fee. */
export interface ScoreRow {
  rule: 'block-space' | 'rate ≥ min' | 'position';
  rate: 'own' | 'effective' | '-';
  all: Figures;
  top100: Figures;
}

function figures(txs: VectorTx[], inTemplate: Set<number>, predict: (tx: VectorTx) => boolean): Figures {
  const hits = txs.filter(predict);
  const right = hits.filter((t) => inTemplate.has(t.uid)).length;
  const actual = txs.filter((t) => inTemplate.has(t.uid)).length;
  return { precision: right / hits.length, recall: right / actual, predicted: hits.length, actual };
}

/**
 * Score "in the next block?" for every transaction of the vector knowing only what Spout sees
 * live: the projected-block summaries and the transaction's own rate (fee / vsize, vsize =
 * ceil(weight / 4) as mempool.space sends it), effective rate and vsize. Rules: {@link placeTx}
 * by block space, the old "rate ≥ the next block's minimum", and mempool.space's position (what
 * {@link placeTx} uses when the input sends it; a reference).
 */
export function scoreVector(vector: GbtVector, projected = projectBlocks(vector.txs)): ScoreRow[] {
  const inTemplate = new Set(vector.template);
  const top100 = [...vector.txs].sort((a, b) => b.fee - a.fee).slice(0, 100);
  const blocks = projected.summaries;
  const seen = (tx: VectorTx, rate: ScoreRow['rate']): PlacedTx => {
    const vsize = Math.ceil(tx.weight / 4);
    const effective = rate === 'effective' ? { effectiveFeeRate: projected.effectiveRate.get(tx.uid)! } : {};
    const position = rate === '-' ? { position: projected.position.get(tx.uid)! } : {};
    return { feeRate: tx.fee / vsize, vsize, ...effective, ...position };
  };
  const nextBlock = (tx: PlacedTx) => placeTx(tx, blocks).block === 1;
  const atLeastMin = (tx: PlacedTx) => placeTx(tx, blocks).rate >= blocks[0]!.feeRange[0]!;
  type Rule = readonly [ScoreRow['rule'], ScoreRow['rate'], (tx: PlacedTx) => boolean];
  const rules: Rule[] = [
    ...(['own', 'effective'] as const).flatMap((rate): Rule[] => [
      ['block-space', rate, nextBlock],
      ['rate ≥ min', rate, atLeastMin],
    ]),
    ['position', '-', nextBlock],
  ];
  return rules.map(([rule, rate, predict]) => ({
    ...{ rule, rate },
    all: figures(vector.txs, inTemplate, (tx) => predict(seen(tx, rate))),
    top100: figures(top100, inTemplate, (tx) => predict(seen(tx, rate))),
  }));
}
