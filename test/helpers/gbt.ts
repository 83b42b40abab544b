/**
 * mempool.space's GBT test vector (../shared/fixtures/mempool-repo/gbt/, see its README): a real
 * mainnet mempool of 19,873 transactions and Bitcoin Core's `getblocktemplate` for it (1,767
 * transactions), and what Spout would see live for that mempool.
 *
 * What Spout would see is derived, not captured, so it is an approximation of what mempool.space
 * would have sent: {@link projectBlocks} ports its Rust GBT (`rust/gbt/src/gbt.rs` at 3b6ed8bd:
 * greedy by ancestor score, sigop-adjusted sizes, blocks under 4,000,000 − 4,000 WU counted from
 * a 4,000 WU coinbase reserve as in Core, ties by txid, 8 blocks with the last unbounded;
 * accelerations left out) and {@link feeStats} its `Common.calcEffectiveFeeStatistics`. The port
 * reproduces Core's template for this vector, in order (a test checks it), as mempool.space's
 * own test of its GBT does.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ProjectedBlock } from '../../src/bus/events.js';
import { placeTx, type PlacedTx } from '../../plugins/detectors/urgency/placement.js';

/** The vector's folder, beside the checkout. */
export const GBT_DIR = new URL('../../../shared/fixtures/mempool-repo/gbt/', import.meta.url);
const FILES = ['test-buffer.bin', 'test-data-ids.json', 'target-template.json'];

/** True when the three vector files are present. */
export const hasGbtVector: boolean = FILES.every((f) => existsSync(new URL(f, GBT_DIR)));

/** One mempool transaction of the vector: fee in sats, `parents` the uids of in-mempool parents. */
export interface VectorTx {
  uid: number;
  fee: number;
  weight: number;
  sigops: number;
  parents: number[];
}

/** The vector: the mempool, and Core's template as uids in template order. */
export interface GbtVector {
  txs: VectorTx[];
  template: number[];
}

/**
 * Parse the big-endian mempool buffer: u32 count, then per transaction u32 uid, f64 fee, u32
 * weight, u32 sigops, f64 feePerVsize, f64 effectiveFeePerVsize (both recomputed here, so
 * skipped), u32 parent count and that many u32 parent uids.
 */
export function parseMempoolBuffer(buf: Uint8Array): VectorTx[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const txs: VectorTx[] = [];
  let at = 4;
  for (let i = view.getUint32(0); i > 0; i--) {
    const count = view.getUint32(at + 36);
    const parents = Array.from({ length: count }, (_, j) => view.getUint32(at + 40 + 4 * j));
    const [uid, fee] = [view.getUint32(at), view.getFloat64(at + 4)];
    txs.push({ uid, fee, weight: view.getUint32(at + 12), sigops: view.getUint32(at + 16), parents });
    at += 40 + 4 * count;
  }
  if (at !== buf.byteLength) throw new Error(`mempool buffer: ${buf.byteLength - at} trailing bytes`);
  return txs;
}

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
  return { txs: parseMempoolBuffer(file('test-buffer.bin')), template };
}

// Core's default -blockmaxweight (4,000,000 less 4,000), counted from the coinbase's 4,000.
const [MAX_WEIGHT, RESERVED_WEIGHT, MAX_SIGOPS, RESERVED_SIGOPS] = [3_996_000, 4_000, 80_000, 400];

type Totals = { fee: number; weight: number; vsize: number; sigops: number };
const FRESH = { score: 0, dependencyRate: Infinity, used: false, modified: false };

// `own`: sigop-adjusted weight and vsize, as Core counts them; `anc` adds the unused ancestors'.
type Node = {
  tx: VectorTx;
  own: Totals;
  anc: Totals;
  ancestors: Set<number>;
  children: Set<number>;
} & typeof FRESH;

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

// Ties on score go to the larger uid: uids follow txid order, and this reproduces Core's choice.
const better = (a: Node, b: Node) => (a.score !== b.score ? a.score > b.score : a.tx.uid > b.tx.uid);
const ancestorScore = (n: Node) => Math.min(n.own.fee / n.own.vsize, n.anc.fee / n.anc.vsize);

function add(to: Totals, t: Totals, sign: 1 | -1): void {
  for (const k of ['fee', 'weight', 'vsize', 'sigops'] as const) to[k] += sign * t[k];
}

function buildGraph(txs: VectorTx[]): Map<number, Node> {
  const pool = new Map<number, Node>();
  for (const tx of txs) {
    const weight = Math.max(tx.weight, tx.sigops * 20);
    const vsize = Math.max(Math.ceil(tx.weight / 4), tx.sigops * 5);
    const own = { fee: tx.fee, weight, vsize, sigops: tx.sigops };
    pool.set(tx.uid, { tx, own, anc: { ...own }, ancestors: new Set(), children: new Set(), ...FRESH });
  }
  const done = new Set<number>();
  const relate = (n: Node): void => {
    if (done.has(n.tx.uid)) return;
    done.add(n.tx.uid);
    for (const parent of n.tx.parents.map((uid) => pool.get(uid)).filter((p) => p !== undefined)) {
      relate(parent);
      parent.children.add(n.tx.uid);
      for (const a of [parent.tx.uid, ...parent.ancestors]) n.ancestors.add(a);
    }
    for (const a of n.ancestors) add(n.anc, pool.get(a)!.own, 1);
    n.score = ancestorScore(n);
  };
  for (const n of pool.values()) relate(n);
  return pool;
}

/**
 * Project `txs` into up to `maxBlocks` blocks as mempool.space's GBT does (see the file comment),
 * each summarized by {@link feeStats}. Its stack statistics (a last block over 4 MWU when there
 * are 8) are not ported: this vector fills five blocks.
 */
export function projectBlocks(txs: VectorTx[], maxBlocks = 8): ProjectedMempool {
  const pool = buildGraph(txs);
  const stack = [...pool.values()].sort((a, b) => (better(a, b) ? 1 : -1)); // best last
  const modified = new Set<Node>(); // small: only descendants of used transactions
  const effectiveRate = new Map<number, number>();
  const blocks: number[][] = [];
  const open = () => ({ txs: [] as number[], weight: RESERVED_WEIGHT, sigops: RESERVED_SIGOPS, failures: 0 });
  let [block, overflow] = [open(), [] as Node[]];
  const fromStack = () => {
    while (stack.length && (stack.at(-1)!.used || stack.at(-1)!.modified)) stack.pop();
    return stack.at(-1);
  };
  const fromModified = () => {
    let best: Node | undefined;
    for (const n of modified) if (n.used) modified.delete(n);
    for (const n of modified) if (!best || better(n, best)) best = n;
    return best;
  };
  const release = (root: Node, clusterRate: number) => {
    const seen = new Set<number>(root.children);
    const todo = [...root.children];
    for (let uid = todo.pop(); uid !== undefined; uid = todo.pop()) {
      const d = pool.get(uid)!;
      const old = d.score;
      d.dependencyRate = Math.min(d.dependencyRate, clusterRate);
      if (d.ancestors.delete(root.tx.uid)) add(d.anc, root.own, -1);
      d.score = ancestorScore(d);
      if (d.score !== old) {
        d.modified = true;
        modified.add(d);
      }
      for (const c of d.children) if (!seen.has(c)) (todo.push(c), seen.add(c));
    }
  };
  for (let s = fromStack(), q = fromModified(); s || q; s = fromStack(), q = fromModified()) {
    const next = s && (!q || better(s, q)) ? s : q!;
    if (next === s) stack.pop();
    else modified.delete(next);
    const last = blocks.length >= maxBlocks - 1;
    const tooBig =
      block.weight + 4 * next.anc.vsize >= MAX_WEIGHT || block.sigops + next.anc.sigops > MAX_SIGOPS;
    if (!last && tooBig) {
      overflow.push(next);
      block.failures++;
    } else {
      const count = (uid: number) => pool.get(uid)!.ancestors.size;
      const pkg = [...next.ancestors].sort((a, b) => count(a) - count(b) || b - a).map((u) => pool.get(u)!);
      const clusterRate = Math.min(next.dependencyRate, next.anc.fee / (next.anc.weight / 4));
      for (const n of [...pkg, next]) {
        n.used = true;
        effectiveRate.set(n.tx.uid, clusterRate);
        block.txs.push(n.tx.uid);
        block.weight += n.tx.weight;
        block.sigops += n.tx.sigops;
        release(n, clusterRate);
      }
      block.failures = 0;
    }
    const full = block.failures > 1000 && block.weight > MAX_WEIGHT - RESERVED_WEIGHT;
    if ((full || (!fromStack() && !fromModified())) && !last) {
      if (block.txs.length === 0) break;
      blocks.push(block.txs);
      for (const n of overflow.reverse()) n.modified ? modified.add(n) : stack.push(n);
      [block, overflow] = [open(), []];
    }
  }
  if (block.txs.length > 0) blocks.push(block.txs);
  return summarize(pool, blocks, effectiveRate);
}

function summarize(
  pool: Map<number, Node>,
  blocks: number[][],
  effectiveRate: Map<number, number>,
): ProjectedMempool {
  const position = new Map<number, { block: number; vsize: number }>();
  const summaries = blocks.map((uids, b): ProjectedBlock => {
    let [vsize, weight] = [0, 0];
    const members = uids.map((uid) => {
      const { tx } = pool.get(uid)!;
      position.set(uid, { block: b, vsize: vsize + Math.ceil(tx.weight / 4) / 2 });
      [vsize, weight] = [vsize + Math.ceil(tx.weight / 4), weight + tx.weight];
      return { weight: tx.weight, rate: effectiveRate.get(uid)! };
    });
    return { ...feeStats(members), nTx: uids.length, vsize: weight / 4 };
  });
  return { blocks, effectiveRate, position, summaries };
}

type Stats = Pick<ProjectedBlock, 'feeRange' | 'medianFee'>;

/**
 * mempool.space's `calcEffectiveFeeStatistics` for one block (`members` in block order): the
 * median is the mean rate of the middle 10,000 WU; the range is [min, p10, p25, p50, p75, p90,
 * max] by transaction count, where min is the lower of the 1st percentile and the lowest rate in
 * the last 2% of the block, max the higher of the 99th percentile and the highest in the first 2%.
 */
export function feeStats(members: Array<{ weight: number; rate: number }>): Stats {
  const sorted = [...members].sort((a, b) => a.rate - b.rate);
  const nth = (p: number) => sorted[Math.floor((sorted.length - 1) * (p / 100))]?.rate ?? 0;
  let [at, fee, weight] = [0, 0, 0];
  for (let i = 0; i < sorted.length && at < 2_005_000; at += sorted[i]!.weight, i++) {
    const part = Math.min(at + sorted[i]!.weight, 2_005_000) - Math.max(at, 1_995_000);
    if (part > 0) [fee, weight] = [fee + sorted[i]!.rate * (part / 4), weight + part];
  }
  const tail = members.slice(-members.length / 50).reduce((m, t) => Math.min(m, t.rate), Infinity);
  const head = members.slice(0, members.length / 50).reduce((m, t) => Math.max(m, t.rate), 0);
  const feeRange = [Math.min(nth(1), tail), ...[10, 25, 50, 75, 90].map(nth), Math.max(nth(99), head)];
  return { feeRange, medianFee: weight ? fee / (weight / 4) : 0 };
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
