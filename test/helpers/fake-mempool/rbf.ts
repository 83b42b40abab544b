import { signalsRbf, type MempoolTransactionExtended } from '../fixtures.js';
import type { RbfTransaction, RbfTree } from './types.js';

/** How many trees `rbfLatest` carries (rbf-cache.ts). */
const MAX_TREES = 25;

/** `ReplacementInfo` (§4.6), as in init `rbfSummary` / `rbfLatestSummary`. */
export interface ReplacementInfo {
  txid: string;
  mined: boolean;
  fullRbf: boolean;
  oldFee: number;
  oldVsize: number;
  newFee: number;
  newVsize: number;
}

/** What is known of a replaced tx: the full tx when the fake saw it added, else only its txid. */
export type ReplacedTx = MempoolTransactionExtended | { txid: string };

function isFull(tx: ReplacedTx): tx is MempoolTransactionExtended {
  return 'vin' in tx;
}

/** `Common.stripTransaction` plus the RBF signal. */
function stripForRbf(tx: ReplacedTx, now: number): RbfTransaction {
  if (!isFull(tx)) return { txid: tx.txid, fee: 0, vsize: 0, value: 0, rate: 0, time: now, rbf: true };
  return {
    txid: tx.txid,
    fee: tx.fee,
    vsize: tx.weight / 4,
    value: tx.vout.reduce((sum, o) => sum + o.value, 0),
    rate: tx.effectiveFeePerVsize,
    time: tx.firstSeen,
    rbf: signalsRbf(tx),
  };
}

/** A small copy of mempool's `RbfCache`: trees of replacements, most recently changed first. */
export class RbfCache {
  private trees: RbfTree[] = [];

  /** Record that `by` replaced every tx of `replaced` (rbf-cache.ts `add()`). */
  add(replaced: ReplacedTx[], by: MempoolTransactionExtended): void {
    if (replaced.length === 0) return;
    const now = Math.round(Date.now() / 1000);
    const newTx = stripForRbf(by, now);
    const newTime = by.firstSeen;
    let txFullRbf = false;
    let treeFullRbf = false;
    const children: RbfTree[] = [];
    for (const old of replaced) {
      const oldTx = stripForRbf(old, now);
      if (!oldTx.rbf) txFullRbf = true;
      const existing = this.trees.find((t) => t.tx.txid === oldTx.txid);
      if (existing) {
        this.trees = this.trees.filter((t) => t !== existing);
        existing.interval = newTime - existing.time;
        children.push(existing);
        treeFullRbf = treeFullRbf || existing.fullRbf || !existing.tx.rbf;
      } else {
        const time = oldTx.time ?? now;
        children.push({ tx: oldTx, time, interval: newTime - time, fullRbf: !oldTx.rbf, replaces: [] });
        treeFullRbf = treeFullRbf || !oldTx.rbf;
      }
    }
    newTx.fullRbf = txFullRbf;
    this.trees.unshift({ tx: newTx, time: newTime, fullRbf: treeFullRbf, replaces: children });
  }

  /** Mark trees whose latest tx was mined (rbf-cache.ts `mined()`); this alone pushes nothing. */
  mined(txids: ReadonlySet<string>): void {
    for (const tree of this.trees) {
      if (txids.has(tree.tx.txid)) {
        tree.tx.mined = true;
        tree.mined = true;
      }
    }
  }

  /** The `rbfLatest` list: up to 25 trees, newest first, optionally only full-RBF ones. */
  latest(onlyFullRbf: boolean): RbfTree[] {
    return this.trees.filter((t) => !onlyFullRbf || t.fullRbf).slice(0, MAX_TREES);
  }

  /** `getLatestRbfSummary()`: the 6 newest trees as ReplacementInfo. */
  summary(): ReplacementInfo[] {
    return this.latest(false)
      .slice(0, 6)
      .map((tree) => ({
        txid: tree.tx.txid,
        mined: !!tree.tx.mined,
        fullRbf: !!tree.tx.fullRbf,
        oldFee: tree.replaces.reduce((sum, r) => sum + r.tx.fee, 0),
        oldVsize: tree.replaces.reduce((sum, r) => sum + r.tx.vsize, 0),
        newFee: tree.tx.fee,
        newVsize: tree.tx.vsize,
      }));
  }
}
