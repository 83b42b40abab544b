import type { ProjectedBlock } from '../../../../src/index.js';
import { buildProjectedBlocks } from './build.js';
import { adjustedVsize } from './limits.js';
import { compareTxids, findByTxid, mergeByTxid } from './txid-order.js';
import type { TemplateTx } from './types.js';

/** A mempool transaction as {@link BlockTemplate.add} takes it. */
export interface MempoolEntry {
  /** Fee in sats (Core's modified fee, when prioritised). */
  fee: number;
  /** Weight in weight units. */
  weight: number;
  /** Sigop cost, as `getblocktemplate` reports it. */
  sigops: number;
  /** Txids of the transaction's unconfirmed parents; those not in the template are ignored. */
  parents: readonly string[];
}

/** Where a transaction sits in the projected blocks, as mempool.space's `position`. */
export interface TemplatePosition {
  /** The block, 0 = the next. */
  block: number;
  /** vB into the block of the transaction's midpoint: the vsize of what precedes it + half its own. */
  vsize: number;
}

/** The projected blocks of one {@link BlockTemplate.build}, a snapshot of the mempool then. */
export interface TemplateBuild {
  /** The projected blocks, next first; none for an empty mempool. */
  readonly blocks: ProjectedBlock[];
  /** The txids of block `block`, in template order; [] past the last. */
  txids(block: number): string[];
  /**
   * The fee rate in sat/vB of the package `txid` went in with (mempool.space's
   * `effectiveFeePerVsize`); undefined when it was not in the mempool or made no block.
   */
  effectiveRate(txid: string): number | undefined;
  /** Where `txid` sits; undefined when it was not in the mempool or made no block. */
  position(txid: string): TemplatePosition | undefined;
}

/**
 * The mempool, kept between builds of its projected blocks. Txids are 64 hex digits, lower-case
 * as Core prints them (the tie-break reads them so).
 */
export interface BlockTemplate {
  /** Add `txid` (or replace its entry); O(1), the work is left to the next {@link build}. */
  add(txid: string, entry: MempoolEntry): void;
  /** Remove `txid`; false when it was not there. O(1). */
  remove(txid: string): boolean;
  has(txid: string): boolean;
  /** Transactions in the mempool. */
  readonly size: number;
  /** Total vsize of the mempool in vB, sigop-adjusted as Core's `getmempoolinfo.bytes`. */
  readonly vsize: number;
  /**
   * Project the mempool into blocks ({@link buildProjectedBlocks}), ties broken by txid as Core
   * breaks them. Returns the same object until the mempool changes.
   */
  build(): TemplateBuild;
}

/** Options of {@link createBlockTemplate}. */
export interface BlockTemplateOptions {
  /** Most blocks to project (at least 1); the last one takes every transaction left. */
  maxBlocks: number;
}

// A transaction as the template keeps it, handed to the builder as is (one object per
// transaction: the build walks them all); `uid` and `parents` are rewritten at each build.
interface Rec extends TemplateTx {
  readonly txid: string;
  readonly parentTxids: readonly string[];
  readonly vsize: number;
  live: boolean;
  /** Position in the txid order of the last build that included it. */
  index: number;
}
const NO_PARENTS: readonly never[] = Object.freeze([]);

/**
 * Create an empty {@link BlockTemplate}. Between builds it keeps the mempool sorted in Core's
 * txid order, the tie-break, so a build sorts only the transactions added since the last one;
 * the selection itself runs over the whole mempool each time (as mempool.space's does).
 */
export function createBlockTemplate(options: BlockTemplateOptions): BlockTemplate {
  const byTxid = new Map<string, Rec>();
  let order: Rec[] = []; // ascending by txid as of the last build; may hold removed ones
  let added: Rec[] = [];
  let removedSince = 0;
  let vsize = 0;
  let cached: TemplateBuild | undefined;

  const drop = (rec: Rec) => {
    rec.live = false;
    vsize -= rec.vsize;
    removedSince++;
    cached = undefined;
  };

  const build = (): TemplateBuild => {
    const fresh = added.filter((r) => r.live).sort((a, b) => compareTxids(a.txid, b.txid));
    order = mergeByTxid(removedSince > 0 ? order.filter((r) => r.live) : order, fresh);
    [added, removedSince] = [[], 0];
    const n = order.length;
    // Larger uids win ties and Core prefers the smaller txid, so uids run against the txid
    // order; handed over in uid order, they equal their positions (the builder's fast path).
    const uidOf = (index: number) => n - 1 - index;
    const weights = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const rec = order[i]!;
      rec.index = i;
      rec.uid = uidOf(i);
      weights[i] = rec.weight;
    }
    const txs: Rec[] = [];
    for (let i = n - 1; i >= 0; i--) {
      const rec = order[i]!;
      if (rec.parentTxids.length > 0) {
        const parents: number[] = [];
        for (const p of rec.parentTxids) {
          const parent = byTxid.get(p);
          if (parent) parents.push(parent.uid);
        }
        rec.parents = parents;
      }
      txs.push(rec);
    }
    const built = buildProjectedBlocks(txs, { maxBlocks: options.maxBlocks });
    return snapshot(
      order,
      weights,
      built.map((b) => b.uids.map(uidOf)),
      built.map((b) => b.rates),
      built.map((b) => b.summary),
      (txid) => byTxid.get(txid),
    );
  };

  return {
    add(txid, entry) {
      const old = byTxid.get(txid);
      if (old) drop(old);
      const { fee, weight, sigops } = entry;
      // A plain literal, one shape for all: spreads here make slower objects for V8.
      const rec: Rec = {
        uid: -1,
        fee,
        weight,
        sigops,
        parents: NO_PARENTS,
        txid,
        parentTxids: entry.parents.length > 0 ? [...entry.parents] : NO_PARENTS,
        vsize: adjustedVsize(weight, sigops),
        live: true,
        index: -1,
      };
      byTxid.set(txid, rec);
      added.push(rec);
      vsize += rec.vsize;
      cached = undefined;
    },
    remove(txid) {
      const rec = byTxid.get(txid);
      if (!rec) return false;
      byTxid.delete(txid);
      drop(rec);
      return true;
    },
    has: (txid) => byTxid.has(txid),
    get size() {
      return byTxid.size;
    },
    get vsize() {
      return vsize;
    },
    build: () => (cached ??= build()),
  };
}

/**
 * A build's answers over `order` (the mempool then, `weights` index for index), with block
 * members as indices into it.
 */
function snapshot(
  order: readonly Rec[],
  weights: Float64Array,
  members: number[][],
  rates: number[][],
  blocks: ProjectedBlock[],
  current: (txid: string) => Rec | undefined,
): TemplateBuild {
  const n = order.length;
  const rate = new Float64Array(n).fill(NaN);
  const block = new Int32Array(n).fill(-1);
  const middle = new Float64Array(n);
  for (let b = 0; b < members.length; b++) {
    const [indices, blockRates] = [members[b]!, rates[b]!];
    let at = 0;
    for (let j = 0; j < indices.length; j++) {
      const i = indices[j]!;
      const own = Math.ceil(weights[i]! / 4);
      rate[i] = blockRates[j]!;
      block[i] = b;
      middle[i] = at + own / 2;
      at += own;
    }
  }
  // Each record's index is rewritten by later builds; when it no longer points here, search.
  const indexOf = (txid: string) => {
    const rec = current(txid);
    return rec && order[rec.index] === rec ? rec.index : findByTxid(order, txid);
  };
  return {
    blocks,
    txids: (b) => (members[b] ?? []).map((i) => order[i]!.txid),
    effectiveRate(txid) {
      const i = indexOf(txid);
      return i >= 0 && block[i]! >= 0 ? rate[i] : undefined;
    },
    position(txid) {
      const i = indexOf(txid);
      return i >= 0 && block[i]! >= 0 ? { block: block[i]!, vsize: middle[i]! } : undefined;
    },
  };
}
