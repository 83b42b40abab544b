import type { Network } from 'bitcoinjs-lib';
import type { LRUCache } from 'lru-cache';
import { createLru, type EventMap, type TxSeen } from '../../../src/index.js';
import { createMempoolIndex, spendsOf, type MempoolIndex, type PoolEntry } from './mempool.js';
import type { RawFacts } from './parse.js';
import type { Rpc } from './rpc.js';
import { createBlockTemplate, type BlockTemplate } from './template/index.js';

/** The events the input publishes. */
export type Emitted =
  | 'tx.seen'
  | 'tx.replaced'
  | 'tx.removed'
  | 'block.connected'
  | 'block.disconnected'
  | 'mempool.stats'
  | 'input.status';

/** `getmempoolentry` (and `getrawmempool true` values), the fields the input reads. */
export interface RpcMempoolEntry {
  vsize: number;
  time: number;
  fees: { base: number; ancestor?: number };
  ancestorsize?: number;
  depends?: string[];
}

const positive = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;

/** Whether an RPC answer has what the input reads of a mempool entry (a node may answer oddly). */
export function isMempoolEntry(x: unknown): x is RpcMempoolEntry {
  const e = x as RpcMempoolEntry | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    positive(e.vsize) &&
    positive(e.time) &&
    typeof e.fees === 'object' &&
    e.fees !== null &&
    typeof e.fees.base === 'number' &&
    e.fees.base >= 0 &&
    (e.depends === undefined || (Array.isArray(e.depends) && e.depends.every((t) => typeof t === 'string')))
  );
}

/** What the parts of the input share: the node's mempool as the input knows it, and the tip. */
export interface NodeState {
  readonly rpc: Rpc;
  readonly network: Network;
  readonly pool: MempoolIndex;
  readonly template: BlockTemplate;
  /** Txids published as `tx.seen` (so a block's `rawtx`, a reorg or a resync emits none twice). */
  seen: LRUCache<string, boolean>;
  /** Txids of recent blocks: their `rawtx` (Core sends one per block transaction) is not a new one. */
  readonly mined: LRUCache<string, true>;
  /**
   * Txids Core announced removed (`R`) and not added again since (`A`): a snapshot fetched before
   * a removal still lists them, and must not bring them back.
   */
  readonly removed: LRUCache<string, true>;
  tip: { height: number; hash: string } | null;
  /** Core's mempool sequence of the last snapshot: `R` notifications up to it are in it. */
  snapshotSequence: number;
  /** The stats must be rebuilt (the mempool changed since the last ones). */
  dirty: boolean;
  publish<K extends Emitted>(type: K, data: EventMap[K]): void;
  /** Publish `tx.seen` unless below the interest floor or shed; marks it seen either way. */
  announce(tx: TxSeen): void;
  /** Add a transaction to the mempool copy and the template. */
  admit(facts: RawFacts, entry: RpcMempoolEntry): PoolEntry;
  /** Remove a transaction from the mempool copy and the template. */
  forget(txid: string): PoolEntry | undefined;
}

export type StateDeps = Pick<NodeState, 'rpc' | 'network' | 'publish' | 'announce'> & {
  seenCapacity: number;
  projectedBlocks: number;
};

const sats = (btc: number): number => Math.round(btc * 1e8);

/** The `tx.seen` payload for a transaction of the node's mempool. */
export function txSeenOf(facts: RawFacts, entry: RpcMempoolEntry): TxSeen {
  const feeSats = sats(entry.fees.base);
  const vsize = entry.vsize;
  const feeRate = Math.round((feeSats / vsize) * 1000) / 1000;
  const ancestor =
    entry.fees.ancestor !== undefined && entry.ancestorsize
      ? Math.round((sats(entry.fees.ancestor) / entry.ancestorsize) * 1000) / 1000
      : undefined;
  return {
    txid: facts.txid,
    valueSats: facts.valueSats,
    feeSats,
    vsize,
    feeRate,
    // The package (ancestor) rate is what a low-fee child of a low-fee parent confirms at.
    ...(ancestor !== undefined && ancestor !== feeRate ? { effectiveFeeRate: ancestor } : {}),
    inputs: facts.inputs,
    outputs: facts.outputs,
    rbfSignaling: facts.rbfSignaling,
    firstSeen: new Date(entry.time * 1000).toISOString(),
  };
}

/** The shared state, empty. */
export function createNodeState(d: StateDeps): NodeState {
  const pool = createMempoolIndex();
  const template = createBlockTemplate({ maxBlocks: d.projectedBlocks });
  const state: NodeState = {
    rpc: d.rpc,
    network: d.network,
    pool,
    template,
    seen: createLru<string, boolean>(d.seenCapacity),
    mined: createLru<string, true>(50_000),
    removed: createLru<string, true>(50_000),
    tip: null,
    snapshotSequence: -1,
    dirty: true,
    publish: d.publish,
    announce: d.announce,
    admit(facts, entry) {
      const e: PoolEntry = {
        txid: facts.txid,
        valueSats: facts.valueSats,
        feeSats: sats(entry.fees.base),
        vsize: entry.vsize,
        rbfSignaling: facts.rbfSignaling,
        time: entry.time,
        spends: spendsOf(facts.inputs),
      };
      pool.add(e);
      template.add(facts.txid, {
        fee: e.feeSats,
        // Core's assembler counts a package's sigop-adjusted size (vsize) against the block weight.
        weight: entry.vsize * 4,
        sigops: 0,
        parents: entry.depends ?? [],
      });
      state.dirty = true;
      return e;
    },
    forget(txid) {
      const e = pool.remove(txid);
      template.remove(txid);
      if (e) state.dirty = true;
      return e;
    },
  };
  return state;
}
