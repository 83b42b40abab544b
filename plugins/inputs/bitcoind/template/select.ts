import type { TxGraph } from './graph.js';
import {
  MAX_BLOCK_SIGOPS,
  MAX_BLOCK_WEIGHT,
  MAX_CONSECUTIVE_FAILURES,
  RESERVED_SIGOPS,
  RESERVED_WEIGHT,
} from './limits.js';
import { createModifiedQueue } from './queue.js';

const NONE: readonly number[] = Object.freeze([]);

/** Which transactions went into which block, and at what rate. */
export interface Selection {
  /** Each block's members as graph indices, in template order. */
  blocks: number[][];
  /** Each block's weight as Core counts it: the coinbase reserve plus its members' weights. */
  weights: number[];
  /** By graph index: the package rate each transaction went in at, in sat/vB; NaN when left out. */
  rates: Float64Array;
}

/**
 * Fill up to `maxBlocks` blocks from `g` as Core's `BlockAssembler` fills one (and mempool.space
 * its projected blocks): repeatedly take the package (transaction + unselected ancestors) of the
 * best ancestor score that fits, ancestors first; a package that does not fit waits for the next
 * block; a block is done when nothing is left or after {@link MAX_CONSECUTIVE_FAILURES} misses
 * with under 4,000 WU free. The last block takes every package left, whatever its size. A
 * package too large for an empty block is left out (only possible before the last block).
 * Consumes `g`.
 */
export function selectBlocks(g: TxGraph, maxBlocks: number): Selection {
  const { size: n, uid, score, ancestors, ancestorCount, children } = g;
  const used = new Uint8Array(n);
  const modified = new Uint8Array(n);
  const dependencyRate = new Float64Array(n).fill(Infinity);
  const rates = new Float64Array(n).fill(NaN);
  const queue = createModifiedQueue(n, score, uid);
  const better = (a: number, b: number) =>
    score[a] !== score[b] ? score[a]! > score[b]! : uid[a]! > uid[b]!;
  // Best last; a stack entry is stale once its transaction is used or has entered the queue.
  const stack = Array.from({ length: n }, (_, i) => i).sort((a, b) => (better(a, b) ? 1 : -1));
  let top = n;
  const fromStack = () => {
    while (top > 0 && (used[stack[top - 1]!] === 1 || modified[stack[top - 1]!] === 1)) top--;
    return top > 0 ? stack[top - 1]! : -1;
  };
  const unused = (i: number) => used[i] === 0;
  const fromQueue = () => queue.peek(unused);

  const seen = new Uint32Array(n);
  let stamp = 0;
  const pending: number[] = [];
  // `root` is selected: its descendants lose it as an ancestor and may not beat `rate` any more.
  const release = (root: number, rate: number) => {
    const kids = children[root];
    if (kids === undefined) return;
    stamp++;
    for (const c of kids) ((seen[c] = stamp), pending.push(c));
    for (let d = pending.pop(); d !== undefined; d = pending.pop()) {
      dependencyRate[d] = Math.min(dependencyRate[d]!, rate);
      // Every descendant counts `root` among its unselected ancestors, once.
      ancestorCount[d]!--;
      g.ancFee[d]! -= g.fee[root]!;
      g.ancWeight[d]! -= g.adjWeight[root]!;
      g.ancVsize[d]! -= g.adjVsize[root]!;
      g.ancSigops[d]! -= g.sigops[root]!;
      const s = Math.min(g.fee[d]! / g.adjVsize[d]!, g.ancFee[d]! / g.ancVsize[d]!);
      if (s !== score[d]) {
        score[d] = s;
        modified[d] = 1;
        queue.push(d);
      }
      for (const c of children[d] ?? NONE) if (seen[c] !== stamp) ((seen[c] = stamp), pending.push(c));
    }
  };
  // Core's order within a package: fewer ancestors first, then (as the vector shows) larger uid.
  const packageOf = (next: number): number[] => {
    const pkg = ancestorCount[next] === 0 ? [] : ancestors[next]!.filter(unused);
    pkg.sort((a, b) => ancestorCount[a]! - ancestorCount[b]! || uid[b]! - uid[a]!);
    pkg.push(next);
    return pkg;
  };

  const blocks: number[][] = [];
  const weights: number[] = [];
  let [members, weight, sigops, failures] = [[] as number[], RESERVED_WEIGHT, RESERVED_SIGOPS, 0];
  let overflow: number[] = [];
  for (let s = fromStack(), q = fromQueue(); s >= 0 || q >= 0; s = fromStack(), q = fromQueue()) {
    const fromTheStack = s >= 0 && (q < 0 || better(s, q));
    const next = fromTheStack ? s : q;
    if (fromTheStack) top--;
    else queue.pop();
    const last = blocks.length >= maxBlocks - 1;
    const tooBig =
      weight + 4 * g.ancVsize[next]! >= MAX_BLOCK_WEIGHT || sigops + g.ancSigops[next]! > MAX_BLOCK_SIGOPS;
    if (!last && tooBig) {
      overflow.push(next);
      failures++;
    } else {
      const rate = Math.min(dependencyRate[next]!, g.ancFee[next]! / (g.ancWeight[next]! / 4));
      for (const i of packageOf(next)) {
        used[i] = 1;
        rates[i] = rate;
        members.push(i);
        weight += g.weight[i]!;
        sigops += g.sigops[i]!;
        release(i, rate);
      }
      failures = 0;
    }
    const full = failures > MAX_CONSECUTIVE_FAILURES && weight > MAX_BLOCK_WEIGHT - RESERVED_WEIGHT;
    if (!last && (full || (fromStack() < 0 && fromQueue() < 0))) {
      if (members.length === 0) break;
      blocks.push(members);
      weights.push(weight);
      // What did not fit goes back in the running for the next block, in the order it came out.
      for (const i of overflow.reverse()) {
        if (used[i] === 1) continue;
        if (modified[i] === 1) queue.push(i);
        else stack[top++] = i;
      }
      [members, weight, sigops, failures, overflow] = [[], RESERVED_WEIGHT, RESERVED_SIGOPS, 0, []];
    }
  }
  if (members.length > 0) {
    blocks.push(members);
    weights.push(weight);
  }
  return { blocks, weights, rates };
}
