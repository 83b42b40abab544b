import type { Block, Transaction } from 'bitcoinjs-lib';
import { byInternalHash, outpointOf, parseBlock, workOf } from './block.js';
import { sequenceNote, tipNotes, txNotes } from './notes.js';
import type { BaseBlock, ChainBlock, MempoolEntry, Notification } from './types.js';

const now = (): number => Math.floor(Date.now() / 1000);

const prevHashOf = (block: Block): string =>
  Buffer.from(block.prevHash ?? new Uint8Array(32))
    .reverse()
    .toString('hex');

/**
 * The node's state (mempool, chain, mempool sequence) and Core's validation steps. Each action mutates the
 * state and returns the ZMQ notifications Core would publish, in Core's order (see fake-core.ts).
 */
export class CoreNode {
  readonly mempool = new Map<string, MempoolEntry>();
  /** Every block ever known, active or stale. */
  readonly blocks = new Map<string, ChainBlock>();
  /** The active chain; `chain[0]` is the base stub. */
  readonly chain: ChainBlock[] = [];
  /** CTxMemPool::m_sequence_number: starts at 1, +1 per addition and per removal (also mined ones). */
  mempoolSequence = 1;
  /** Fees given to addTx, reused when a mined transaction returns to the mempool (else 0). */
  readonly knownFees = new Map<string, number>();
  private readonly spentBy = new Map<string, string>();
  private readonly txIndex = new Map<string, Transaction>();

  constructor(base: BaseBlock) {
    const bits = base.bits ?? 0x1903a30c;
    const stub: ChainBlock = {
      hash: base.hash,
      height: base.height,
      time: base.time,
      txids: base.txids ?? [],
      hex: null,
      prevHash: null,
      block: null,
      bits,
      chainwork: base.chainwork ?? workOf(bits) * BigInt(base.height + 1),
    };
    this.blocks.set(stub.hash, stub);
    this.chain.push(stub);
  }

  get tip(): ChainBlock {
    return this.chain[this.chain.length - 1]!;
  }

  /** The active block at `height`, if any. */
  activeAt(height: number): ChainBlock | undefined {
    return this.chain[height - this.chain[0]!.height];
  }

  isActive(b: ChainBlock): boolean {
    return this.activeAt(b.height) === b;
  }

  /** A transaction of the mempool or of any known block. */
  findTx(txid: string): Transaction | undefined {
    return this.mempool.get(txid)?.tx ?? this.txIndex.get(txid);
  }

  /** In-mempool children of `txid`, in setEntries order. */
  childrenOf(txid: string): string[] {
    const kids = new Set<string>();
    for (const [id, e] of this.mempool)
      if (e.tx.ins.some((i) => outpointOf(i).startsWith(`${txid}:`))) kids.add(id);
    return [...kids].sort(byInternalHash);
  }

  /** All in-mempool descendants of `txid` (without it). */
  descendantsOf(txid: string): Set<string> {
    const found = new Set<string>();
    const todo = [txid];
    for (let id = todo.pop(); id !== undefined; id = todo.pop())
      for (const kid of this.childrenOf(id)) {
        if (found.has(kid)) continue;
        found.add(kid);
        todo.push(kid);
      }
    return found;
  }

  /** All in-mempool ancestors of `txid` (without it). */
  ancestorsOf(txid: string): Set<string> {
    const found = new Set<string>();
    const todo = [...(this.mempool.get(txid)?.depends ?? [])];
    for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
      if (found.has(id)) continue;
      found.add(id);
      todo.push(...(this.mempool.get(id)?.depends ?? []));
    }
    return found;
  }

  /** Accept `tx` (AcceptSingleTransaction): replaced transactions leave first (R each), then hashtx, rawtx, A. */
  addTx(tx: Transaction, fee: number, time = now()): Notification[] {
    const txid = tx.getId();
    if (tx.isCoinbase()) throw new Error(`fake-core: ${txid} is a coinbase (coinbase)`);
    if (this.mempool.has(txid))
      throw new Error(`fake-core: ${txid} is already in the mempool (txn-already-in-mempool)`);
    const out: Notification[] = [];
    const replaced = new Set<string>();
    for (const input of tx.ins) {
      const conflict = this.spentBy.get(outpointOf(input));
      if (conflict === undefined) continue;
      replaced.add(conflict);
      for (const d of this.descendantsOf(conflict)) replaced.add(d);
    }
    this.removeStaged([...replaced], out);
    this.knownFees.set(txid, fee);
    this.insert(tx, fee, time);
    out.push(...txNotes(tx), sequenceNote(txid, 'A', this.mempoolSequence++));
    return out;
  }

  /** Expiry / eviction (RemoveStaged with its descendants): R for each, in setEntries order. */
  removeTx(txid: string): Notification[] {
    if (!this.mempool.has(txid)) throw new Error(`fake-core: ${txid} is not in the mempool`);
    const out: Notification[] = [];
    this.removeStaged([txid, ...this.descendantsOf(txid)], out);
    return out;
  }

  /** The block `makeBlock` builds on: `prevHash`, or the tip. */
  parentFor(prevHash?: string): ChainBlock {
    const parent = prevHash === undefined ? this.tip : this.blocks.get(prevHash);
    if (!parent) throw new Error(`fake-core: unknown parent block ${prevHash}`);
    return parent;
  }

  /** Sum of the fees remembered for `txs` (what a coinbase mining them claims). */
  feesOf(txs: readonly Transaction[]): number {
    return txs.reduce((sum, t) => sum + (this.knownFees.get(t.getId()) ?? 0), 0);
  }

  /**
   * Core's ActivateBestChain for a reorg of `depth` blocks replaced by `blocks` (depth 0: blocks extending the
   * tip). Equal work per block is assumed, so the first step connects until the chain is longer than the old
   * one and each further block is a step of its own.
   */
  activate(depth: number, blocks: readonly Block[]): Notification[] {
    if (depth >= this.chain.length)
      throw new Error(`fake-core: cannot disconnect ${depth} blocks (base stub)`);
    let parent = this.chain[this.chain.length - 1 - depth]!.hash;
    for (const b of blocks) {
      if (prevHashOf(b) !== parent)
        throw new Error(`fake-core: block ${b.getId()} does not build on ${parent}`);
      if (this.blocks.has(b.getId()) && this.isActive(this.blocks.get(b.getId())!))
        throw new Error(`fake-core: block ${b.getId()} is already in the active chain`);
      parent = b.getId();
    }
    const out: Notification[] = [];
    const oldHeight = this.tip.height;
    const pool: Transaction[] = [];
    for (let i = 0; i < depth; i++) this.disconnectTip(out, pool);
    const spent = new Set<string>();
    let next = 0;
    let first = true;
    do {
      const startHeight = first ? oldHeight : this.tip.height;
      const connected: ChainBlock[] = [];
      while (next < blocks.length && (connected.length === 0 || this.tip.height <= startHeight))
        connected.push(this.connectTip(this.register(blocks[next++]!), out, pool, spent));
      if (first && depth > 0) this.readd(pool, spent, out);
      first = false;
      for (const b of connected) {
        for (const tx of b.block!.transactions!) out.push(...txNotes(tx));
        out.push(sequenceNote(b.hash, 'C'));
      }
      if (connected.length > 0) out.push(...tipNotes(this.tip));
    } while (next < blocks.length);
    return out;
  }

  /** Parse and index `block` (reusing a known stale block), as the next block on the tip. */
  private register(block: Block): ChainBlock {
    const hash = block.getId();
    const known = this.blocks.get(hash);
    if (known) return known;
    const txs = parseBlock(block).transactions!;
    for (const tx of txs) this.txIndex.set(tx.getId(), tx);
    const b: ChainBlock = {
      hash,
      height: this.tip.height + 1,
      time: block.timestamp,
      txids: txs.map((t) => t.getId()),
      hex: block.toHex(),
      prevHash: prevHashOf(block),
      block,
      bits: block.bits,
      chainwork: this.tip.chainwork + workOf(block.bits),
    };
    this.blocks.set(hash, b);
    return b;
  }

  /** ConnectTip → removeForBlock: each mined tx leaves silently (sequence +1), then its conflicts (R). */
  private connectTip(
    b: ChainBlock,
    out: Notification[],
    pool: Transaction[],
    spent: Set<string>,
  ): ChainBlock {
    for (const tx of b.block!.transactions!) {
      const txid = tx.getId();
      if (this.mempool.has(txid)) {
        this.remove(txid);
        this.mempoolSequence++;
      }
      if (!tx.isCoinbase())
        for (const input of tx.ins) {
          spent.add(outpointOf(input));
          const conflict = this.spentBy.get(outpointOf(input));
          if (conflict !== undefined && conflict !== txid)
            this.removeStaged([conflict, ...this.descendantsOf(conflict)], out);
        }
      const i = pool.findIndex((t) => t.getId() === txid);
      if (i >= 0) pool.splice(i, 1);
    }
    this.chain.push(b);
    return b;
  }

  /** DisconnectTip → BlockDisconnected: hashtx + rawtx for every transaction (coinbase too), then D. */
  private disconnectTip(out: Notification[], pool: Transaction[]): void {
    const b = this.tip;
    if (this.chain.length === 1 || !b.block) throw new Error('fake-core: cannot disconnect the base stub');
    this.chain.pop();
    const txs = b.block.transactions!;
    for (const tx of txs) out.push(...txNotes(tx));
    out.push(sequenceNote(b.hash, 'D'));
    pool.unshift(...txs.slice(1));
  }

  /**
   * MaybeUpdateMempoolForReorg: the disconnected transactions (oldest block first, block order) are accepted
   * again (hashtx, rawtx, A). One that conflicts (spent by the new chain, or by the mempool) is dropped and its
   * in-mempool spenders removed (removeRecursive, reason REORG: R).
   */
  private readd(pool: Transaction[], spent: Set<string>, out: Notification[]): void {
    for (const tx of pool.splice(0)) {
      const txid = tx.getId();
      const blocked = tx.ins.some((i) => spent.has(outpointOf(i)) || this.spentBy.has(outpointOf(i)));
      if (!blocked && !this.mempool.has(txid)) {
        this.insert(tx, this.knownFees.get(txid) ?? 0, now());
        out.push(...txNotes(tx), sequenceNote(txid, 'A', this.mempoolSequence++));
        continue;
      }
      const stage = new Set<string>();
      for (const kid of this.childrenOf(txid)) [kid, ...this.descendantsOf(kid)].forEach((d) => stage.add(d));
      this.removeStaged([...stage], out);
    }
  }

  private removeStaged(txids: string[], out: Notification[]): void {
    for (const txid of [...new Set(txids)].sort(byInternalHash)) {
      this.remove(txid);
      out.push(sequenceNote(txid, 'R', this.mempoolSequence++));
    }
  }

  private insert(tx: Transaction, fee: number, time: number): void {
    const txid = tx.getId();
    for (const input of tx.ins) this.spentBy.set(outpointOf(input), txid);
    this.mempool.set(txid, { tx, fee, time, depends: [], height: this.tip.height });
    this.refreshDepends();
  }

  private remove(txid: string): void {
    const e = this.mempool.get(txid);
    if (!e) return;
    for (const input of e.tx.ins)
      if (this.spentBy.get(outpointOf(input)) === txid) this.spentBy.delete(outpointOf(input));
    this.mempool.delete(txid);
    this.refreshDepends();
  }

  /** `depends`: in-mempool parents, sorted as Core's std::set<std::string> of their hex. */
  private refreshDepends(): void {
    for (const e of this.mempool.values()) {
      const parents = new Set(e.tx.ins.map((i) => outpointOf(i).split(':')[0]!));
      e.depends = [...parents].filter((p) => this.mempool.has(p)).sort();
    }
  }
}
