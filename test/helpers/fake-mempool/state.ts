import { extendTx, type EsploraTx, type MempoolTransactionExtended } from '../fixtures.js';
import { buildBlock, type BlockInput } from './block.js';
import { serialize, type ResponseMap } from './frames.js';
import { ProjectedBlocks, type ProjectedDelta } from './projected.js';
import { RbfCache, type ReplacedTx } from './rbf.js';

type Json = Record<string, unknown>;

/** How many recent blocks init and `blocks` carry (`INITIAL_BLOCKS_AMOUNT`). */
const INITIAL_BLOCKS_AMOUNT = 8;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The update given to `pushMempool`. */
export interface MempoolUpdate {
  added?: EsploraTx[];
  removed?: string[];
  replaced?: Array<{ replaced: string; by: EsploraTx }>;
}

/** One mempool tick, ready to be sent. */
export interface MempoolChange {
  sequence: number;
  added: MempoolTransactionExtended[];
  removed: string[];
  replaced: Array<{ replaced: string; by: MempoolTransactionExtended }>;
  rbfChanged: boolean;
  deltas: Map<number, ProjectedDelta>;
}

/** One block, ready to be sent. */
export interface BlockChange {
  sequence: number;
  block: Json;
  mined: string[];
  deltas: Map<number, ProjectedDelta>;
}

/** `Common.stripTransaction` (TransactionStripped, §4.3). */
function strip(tx: MempoolTransactionExtended): Json {
  return {
    txid: tx.txid,
    fee: tx.fee,
    vsize: tx.weight / 4,
    value: tx.vout.reduce((s, o) => s + o.value, 0),
    rate: tx.effectiveFeePerVsize,
    time: tx.firstSeen,
  };
}

/**
 * The server's data: the init payload (kept up to date like `socketData`), the fake mempool of txs pushed so
 * far, the shared sequence, the RBF cache and the projected blocks.
 */
export class FakeState {
  readonly mempool = new Map<string, MempoolTransactionExtended>();
  readonly rbf = new RbfCache();
  readonly projected = new ProjectedBlocks();
  private seq = 0;

  constructor(readonly init: Json) {}

  sequence(): number {
    return this.seq;
  }

  blocks(): Json[] {
    return Array.isArray(this.init.blocks) ? this.init.blocks.filter(isRecord) : [];
  }

  /**
   * Where mempool.space would project a transaction paying `rate` in the current projected
   * blocks: the first whose minimum fee rate it reaches, else the last (the stack), at the
   * block's middle. A stand-in for the server's own block-template placement.
   */
  positionOf(rate: number): { block: number; vsize: number } {
    const blocks = this.mempoolBlocks() as Array<{ feeRange?: number[]; blockVSize?: number }>;
    if (blocks.length === 0) return { block: 0, vsize: 0 };
    let i = blocks.findIndex((b) => rate >= (b.feeRange?.[0] ?? 0));
    if (i < 0) i = blocks.length - 1;
    return { block: i, vsize: (blocks[i]?.blockVSize ?? 0) / 2 };
  }

  mempoolBlocks(): unknown[] {
    const blocks = this.init['mempool-blocks'];
    return Array.isArray(blocks) ? blocks : [];
  }

  setMempoolBlocks(blocks: unknown[]): void {
    this.init['mempool-blocks'] = structuredClone(blocks);
  }

  /** A key of the init data as serialized JSON, or undefined when absent / null (dropped from frames). */
  field(key: string): string | undefined {
    const value = this.init[key];
    return value == null ? undefined : JSON.stringify(value);
  }

  /** The init frame (`serializedInitData`), or undefined while there are no blocks (the server then stays silent). */
  initFrame(): string | undefined {
    if (this.blocks().length === 0) return undefined;
    const fields: ResponseMap = {};
    for (const key of Object.keys(this.init)) fields[key] = this.field(key);
    return serialize(fields);
  }

  /** Update `conversions` and return the new price object. */
  setConversions(prices: Record<string, number>): Json {
    const conversions = { time: Math.round(Date.now() / 1000), ...prices };
    this.init.conversions = conversions;
    return conversions;
  }

  /** Apply a mempool update the way `$updateMempool` + `$handleMempoolChange` would. */
  applyMempool(update: MempoolUpdate): MempoolChange {
    const now = Math.round(Date.now() / 1000);
    const added: MempoolTransactionExtended[] = [];
    const add = (tx: EsploraTx): MempoolTransactionExtended => {
      const known = added.find((t) => t.txid === tx.txid);
      if (known) return known;
      const ext = extendTx(tx, now);
      ext.position = this.positionOf(ext.effectiveFeePerVsize);
      added.push(ext);
      return ext;
    };
    for (const tx of update.added ?? []) add(tx);
    const replaced = (update.replaced ?? []).map((r) => ({ replaced: r.replaced, by: add(r.by) }));
    const removed = [...(update.removed ?? [])];
    for (const r of replaced) if (!removed.includes(r.replaced)) removed.push(r.replaced);

    this.recordReplacements(replaced);
    this.adjustInfo(added, removed);
    for (const txid of removed) this.mempool.delete(txid);
    for (const tx of added) this.mempool.set(tx.txid, tx);
    if (added.length && Array.isArray(this.init.transactions)) {
      this.init.transactions = [...added.map(strip), ...this.init.transactions].slice(0, 6);
    }
    this.projected.drop(new Set(removed));
    this.seq++;
    const deltas = this.projected.takeDeltas(this.mempoolBlocks().length);
    return { sequence: this.seq, added, removed, replaced, rbfChanged: replaced.length > 0, deltas };
  }

  /** Apply a new block the way `handleNewBlock` would. */
  applyBlock(input: BlockInput, minedTxids: string[]): BlockChange {
    const known = minedTxids.flatMap((id) => this.mempool.get(id) ?? []);
    const block = buildBlock(input, minedTxids, known, this.blocks());
    this.init.blocks = [...this.blocks(), block].slice(-INITIAL_BLOCKS_AMOUNT);
    this.adjustInfo([], minedTxids);
    const mined = new Set(minedTxids);
    for (const txid of mined) this.mempool.delete(txid);
    this.rbf.mined(mined);
    this.projected.drop(mined);
    this.seq++;
    const deltas = this.projected.takeDeltas(this.mempoolBlocks().length);
    return { sequence: this.seq, block, mined: [...minedTxids], deltas };
  }

  /** Feed replacements to the RBF cache (grouped per replacing tx) and refresh init `rbfSummary`. */
  private recordReplacements(replaced: MempoolChange['replaced']): void {
    if (replaced.length === 0) return;
    const groups = new Map<string, { by: MempoolTransactionExtended; old: ReplacedTx[] }>();
    for (const r of replaced) {
      const group = groups.get(r.by.txid) ?? { by: r.by, old: [] };
      group.old.push(this.mempool.get(r.replaced) ?? { txid: r.replaced });
      groups.set(r.by.txid, group);
    }
    for (const { by, old } of groups.values()) this.rbf.add(old, by);
    const fresh = this.rbf.summary();
    const previous = Array.isArray(this.init.rbfSummary) ? this.init.rbfSummary : [];
    const kept = previous.filter((p) => !(isRecord(p) && fresh.some((f) => f.txid === p.txid)));
    this.init.rbfSummary = [...fresh, ...kept].slice(0, 6);
  }

  /** Keep `mempoolInfo` (size, bytes, total_fee in BTC) roughly in step with the fake mempool. */
  private adjustInfo(added: MempoolTransactionExtended[], removed: string[]): void {
    const info = this.init.mempoolInfo;
    if (!isRecord(info)) return;
    const gone = removed.flatMap((id) => this.mempool.get(id) ?? []);
    const vsize = (txs: MempoolTransactionExtended[]) => txs.reduce((s, t) => s + t.vsize, 0);
    const fees = (txs: MempoolTransactionExtended[]) => txs.reduce((s, t) => s + t.fee, 0);
    const n = (v: unknown) => (typeof v === 'number' ? v : 0);
    this.init.mempoolInfo = {
      ...info,
      size: Math.max(0, n(info.size) + added.length - gone.length),
      bytes: Math.max(0, n(info.bytes) + vsize(added) - vsize(gone)),
      total_fee: Math.max(0, Math.round(n(info.total_fee) * 1e8 + fees(added) - fees(gone)) / 1e8),
    };
  }
}
