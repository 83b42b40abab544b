import type { Block, Transaction } from 'bitcoinjs-lib';

/** The topics Core publishes, in the order its notifiers run (`-zmqpub*` options sorted by name). */
export const ZMQ_TOPICS = ['hashblock', 'hashtx', 'rawblock', 'rawtx', 'sequence'] as const;
/** A ZMQ topic of Bitcoin Core. */
export type ZmqTopic = (typeof ZMQ_TOPICS)[number];

/** One notification as Core publishes it; the 4-byte sequence number is added when it is sent. */
export interface Notification {
  topic: ZmqTopic;
  body: Buffer;
}

/** A transaction in the fake's mempool. */
export interface MempoolEntry {
  tx: Transaction;
  /** Base fee in sats. */
  fee: number;
  /** Unix seconds when it entered the pool. */
  time: number;
  /** Txids of its in-mempool parents (kept current as parents leave). */
  depends: string[];
  /** Tip height when it entered the pool (`getmempoolentry.height`). */
  height: number;
}

/** A block the fake knows (active or stale). */
export interface ChainBlock {
  hash: string;
  height: number;
  /** Header time, unix seconds. */
  time: number;
  txids: string[];
  /** The serialized block; null for the base stub, whose bytes are unknown. */
  hex: string | null;
  prevHash: string | null;
  /** The parsed block; null for the base stub. */
  block: Block | null;
  /** nBits of the header (for the base stub: the value given, by default that of its child 277647). */
  bits: number;
  /** Cumulative work up to and including this block (synthetic for the base, see FakeCoreOptions.base). */
  chainwork: bigint;
}

/** The tip the chain starts from. Only hash, height and time are needed; the rest is synthetic. */
export interface BaseBlock {
  hash: string;
  height: number;
  time: number;
  bits?: number;
  chainwork?: bigint;
  /** Txids `getblock HASH 1` lists for the stub (none by default: its transactions are unknown). */
  txids?: string[];
}

/** Options of {@link startFakeCore}. */
export interface FakeCoreOptions {
  /**
   * The starting tip. Default: block 277646 (hash = the parent hash in block 277647's header; time =
   * 277647's time - 600, bits = 277647's bits, which are the same retarget period).
   */
  base?: BaseBlock;
  /** `estimatesmartfee` answer in sat/kvB; null answers "Insufficient data". Default 10000 (10 sat/vB). */
  estimateSatPerKvB?: number | null;
  /** Core sleeps 250 ms before answering 401 to a wrong password (not to a missing header). */
  badAuthDelayMs?: number;
  /** ZMQ SNDHWM of the PUB socket (Core's default `-zmqpub*hwm` is 1000). */
  zmqHighWaterMark?: number;
}

/** Options of `addTx`. */
export interface AddTxOptions {
  /** Base fee in sats (the fake has no UTXO set to compute it). */
  fee: number;
  /** Entry time, unix seconds (default now). */
  time?: number;
}

/** Header fields of a block built by `makeBlock`. */
export interface MakeBlockOptions {
  /** Header time (default parent time + 600). */
  time?: number;
  /** Parent (default the tip); its height + 1 goes into the coinbase (BIP34). */
  prevHash?: string;
  version?: number;
  bits?: number;
  nonce?: number;
}

/** How the RPC port misbehaves: `refuse` closes the listener (ECONNREFUSED), `hang` accepts and never answers. */
export type RpcDownMode = 'refuse' | 'hang';

/** A block as the actions accept it: raw hex, a parsed block, or transactions to mine on the tip. */
export type BlockInput = string | Block | Transaction[];
