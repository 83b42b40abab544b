import { outpointKey } from './parse.js';

/** What the input keeps of one transaction of the node's mempool. */
export interface PoolEntry {
  txid: string;
  valueSats: number;
  feeSats: number;
  vsize: number;
  rbfSignaling: boolean;
  /** Unix seconds the node first saw it (`getmempoolentry` `time`). */
  time: number;
  /** The outpoints it spends, as `txid:vout`. */
  spends: string[];
}

/** The input's copy of the node's mempool, with the index of spent outpoints. */
export interface MempoolIndex {
  readonly size: number;
  has(txid: string): boolean;
  get(txid: string): PoolEntry | undefined;
  add(entry: PoolEntry): void;
  /** Remove and return the entry (undefined when absent). */
  remove(txid: string): PoolEntry | undefined;
  /** The mempool transactions other than `txid` spending any of `outpoints`. */
  conflicts(outpoints: readonly string[], txid?: string): string[];
  txids(): IterableIterator<string>;
}

/** The outpoints a transaction spends, as the index keys them. */
export const spendsOf = (inputs: ReadonlyArray<{ txid: string; vout: number }>): string[] =>
  inputs.map((i) => outpointKey(i.txid, i.vout));

/**
 * A map of the mempool by txid and by spent outpoint: a new transaction spending an outpoint
 * that a mempool transaction spends replaces it (Core accepts only one spender), which is how
 * the input tells a replacement from a removal.
 */
export function createMempoolIndex(): MempoolIndex {
  const byTxid = new Map<string, PoolEntry>();
  const spender = new Map<string, string>();
  return {
    get size() {
      return byTxid.size;
    },
    has: (txid) => byTxid.has(txid),
    get: (txid) => byTxid.get(txid),
    add(entry) {
      if (byTxid.has(entry.txid)) return;
      byTxid.set(entry.txid, entry);
      for (const o of entry.spends) spender.set(o, entry.txid);
    },
    remove(txid) {
      const entry = byTxid.get(txid);
      if (!entry) return undefined;
      byTxid.delete(txid);
      for (const o of entry.spends) if (spender.get(o) === txid) spender.delete(o);
      return entry;
    },
    conflicts(outpoints, txid) {
      const found = new Set<string>();
      for (const o of outpoints) {
        const other = spender.get(o);
        if (other !== undefined && other !== txid) found.add(other);
      }
      return [...found];
    },
    txids: () => byTxid.keys(),
  };
}
