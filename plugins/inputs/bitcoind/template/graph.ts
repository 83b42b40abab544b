import { adjustedVsize } from './limits.js';
import type { TemplateTx } from './types.js';

/**
 * The mempool as a dependency graph, indexed by the transactions' positions in the input (not
 * by uid). `anc*` totals include the transaction itself. One selection consumes it: as it selects
 * ancestors, it takes them out of the `anc*` totals, `ancestorCount` and `score`.
 */
export interface TxGraph {
  readonly size: number;
  readonly uid: Float64Array;
  readonly fee: Float64Array;
  /** Weight as given (what a block's weight adds). */
  readonly weight: Float64Array;
  readonly sigops: Float64Array;
  /** Sigop-adjusted weight and vsize, which package fee rates and block space are measured in. */
  readonly adjWeight: Float64Array;
  readonly adjVsize: Float64Array;
  readonly ancFee: Float64Array;
  readonly ancWeight: Float64Array;
  readonly ancVsize: Float64Array;
  readonly ancSigops: Float64Array;
  /** Every in-mempool ancestor, each once (undefined: none); selected ones stay listed. */
  readonly ancestors: Array<number[] | undefined>;
  /** How many of `ancestors` are not selected yet. */
  readonly ancestorCount: Int32Array;
  /** Direct children in the mempool (undefined: none). */
  readonly children: Array<number[] | undefined>;
  /** Ancestor score: the lower of the own rate and the ancestor package's rate, in sat/vB. */
  readonly score: Float64Array;
}

/** The ancestor score of `i` from the graph's current totals. */
export const ancestorScore = (g: TxGraph, i: number): number =>
  Math.min(g.fee[i]! / g.adjVsize[i]!, g.ancFee[i]! / g.ancVsize[i]!);

/**
 * Build the graph of `txs`. Parents missing from `txs` are ignored (confirmed inputs, or a
 * transaction the caller has not seen); a parent edge that would close a cycle (never in a real
 * mempool) is ignored too. Throws on a duplicate uid.
 */
export function buildGraph(txs: readonly TemplateTx[]): TxGraph {
  const n = txs.length;
  const f64 = () => new Float64Array(n);
  const g = {
    size: n,
    ...{ uid: f64(), fee: f64(), weight: f64(), sigops: f64(), adjWeight: f64(), adjVsize: f64() },
    ...{ ancFee: f64(), ancWeight: f64(), ancVsize: f64(), ancSigops: f64(), score: f64() },
    // Packed arrays: V8 makes `new Array(n)` a dictionary from n = 100,000 on, slow to index.
    ancestors: Array.from({ length: n }, (): number[] | undefined => undefined),
    ancestorCount: new Int32Array(n),
    children: Array.from({ length: n }, (): number[] | undefined => undefined),
  } satisfies TxGraph;
  let dense = true;
  for (let i = 0; i < n; i++) {
    const tx = txs[i]!;
    dense &&= tx.uid === i;
    const vsize = adjustedVsize(tx.weight, tx.sigops);
    g.uid[i] = tx.uid;
    g.fee[i] = g.ancFee[i] = tx.fee;
    g.weight[i] = tx.weight;
    g.sigops[i] = g.ancSigops[i] = tx.sigops;
    g.adjWeight[i] = g.ancWeight[i] = Math.max(tx.weight, tx.sigops * 20);
    g.adjVsize[i] = g.ancVsize[i] = vsize;
  }
  // Uids equal to positions (as the block template gives them) need no map.
  const indexOf = new Map<number, number>();
  for (let i = 0; i < n && !dense; i++) {
    if (indexOf.has(txs[i]!.uid)) throw new Error(`duplicate uid ${txs[i]!.uid}`);
    indexOf.set(txs[i]!.uid, i);
  }
  const parentsOf = (i: number): number[] => {
    const out: number[] = [];
    for (const uid of txs[i]!.parents) {
      const p = dense ? (Number.isInteger(uid) && uid >= 0 && uid < n ? uid : undefined) : indexOf.get(uid);
      if (p !== undefined && p !== i && !out.includes(p)) out.push(p);
    }
    return out;
  };
  // Iterative depth-first walk (parents before children): 0 unseen, 1 on the path, 2 done.
  const state = new Uint8Array(n);
  const mark = new Uint32Array(n); // i + 1 once counted among i's ancestors
  const path: number[] = [];
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    if (txs[root]!.parents.length === 0) {
      state[root] = 2;
      g.score[root] = ancestorScore(g, root);
      continue;
    }
    path.push(root);
    while (path.length > 0) {
      const i = path.at(-1)!;
      if (state[i] === 0) {
        state[i] = 1;
        for (const p of parentsOf(i)) if (state[p] === 0) path.push(p);
        continue;
      }
      path.pop();
      if (state[i] === 2) continue;
      state[i] = 2;
      const parents = parentsOf(i).filter((p) => state[p] === 2);
      if (parents.length > 0) relate(g, i, parents, mark);
      g.score[i] = ancestorScore(g, i);
    }
  }
  return g;
}

/** Link `i` to its `parents` (all already related) and total its ancestors. */
function relate(g: TxGraph, i: number, parents: number[], mark: Uint32Array): void {
  const set: number[] = [];
  const add = (a: number) => {
    if (mark[a] === i + 1) return;
    mark[a] = i + 1;
    set.push(a);
    g.ancFee[i]! += g.fee[a]!;
    g.ancWeight[i]! += g.adjWeight[a]!;
    g.ancVsize[i]! += g.adjVsize[a]!;
    g.ancSigops[i]! += g.sigops[a]!;
  };
  for (const p of parents) {
    (g.children[p] ??= []).push(i);
    add(p);
    for (const a of g.ancestors[p] ?? []) add(a);
  }
  g.ancestors[i] = set;
  g.ancestorCount[i] = set.length;
}
