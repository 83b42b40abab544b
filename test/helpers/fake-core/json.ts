import { Amount, byInternalHash, difficultyOf, medianTimePast } from './block.js';
import type { CoreNode } from './node.js';
import { RPC, RpcFailure } from './rpc.js';
import type { ChainBlock } from './types.js';

/** What the RPC methods read besides the node. */
export interface MethodContext {
  node: CoreNode;
  /** The UTXO set as far as the tests told it (`setUtxo`): what `gettxout` answers from. */
  utxos: Map<string, { valueSats: number; scriptHex: string }>;
  zmqUrl: string;
  zmqHighWaterMark: number;
  estimateSatPerKvB: number | null;
}

/** UniValue's type name of a JSON value (uvTypeName). */
export const uvType = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'boolean'
        ? 'bool'
        : typeof v === 'object'
          ? 'object'
          : typeof v === 'string'
            ? 'string'
            : 'number';

/** ParseHashV: 64 hex digits, else -8 with Core's message. */
export function hashArg(v: unknown, name: string): string {
  const s = typeof v === 'string' ? v : '';
  if (s.length !== 64)
    throw new RpcFailure(RPC.INVALID_PARAMETER, `${name} must be of length 64 (not ${s.length}, for '${s}')`);
  if (!/^[0-9a-fA-F]{64}$/.test(s))
    throw new RpcFailure(RPC.INVALID_PARAMETER, `${name} must be hexadecimal string (not '${s}')`);
  return s.toLowerCase();
}

/** ParseVerbosity (a bool is allowed: true = 1). */
export const verbosityArg = (v: unknown, fallback: number): number =>
  v === undefined || v === null ? fallback : Number(v);

/** A uint256 as Core prints it. */
export const hex64 = (n: bigint): string => n.toString(16).padStart(64, '0');

/** A known block, else -5 "Block not found". */
export function blockOr404(c: MethodContext, hash: string): ChainBlock {
  const b = c.node.blocks.get(hash);
  if (!b) throw new RpcFailure(RPC.INVALID_ADDRESS_OR_KEY, 'Block not found');
  return b;
}

/** blockheaderToJSON (v28 field order). */
export function headerJson(c: MethodContext, b: ChainBlock): Record<string, unknown> {
  const { node } = c;
  const active = node.isActive(b);
  const next = active ? node.activeAt(b.height + 1) : undefined;
  const version = b.block?.version ?? 2;
  const o: Record<string, unknown> = {
    hash: b.hash,
    confirmations: active ? node.tip.height - b.height + 1 : -1,
    height: b.height,
    version,
    versionHex: (version >>> 0).toString(16).padStart(8, '0'),
    merkleroot: b.block?.merkleRoot
      ? Buffer.from(b.block.merkleRoot).reverse().toString('hex')
      : '0'.repeat(64),
    time: b.time,
    mediantime: medianTimePast(active ? node.chain : [b], active ? b.height - node.chain[0]!.height : 0),
    nonce: b.block?.nonce ?? 0,
    bits: b.bits.toString(16).padStart(8, '0'),
    difficulty: difficultyOf(b.bits),
    chainwork: hex64(b.chainwork),
    nTx: b.txids.length,
  };
  if (b.prevHash) o.previousblockhash = b.prevHash;
  if (next) o.nextblockhash = next.hash;
  return o;
}

/** entryToJSON (src/rpc/mempool.cpp, v28). */
export function entryJson(c: MethodContext, txid: string): Record<string, unknown> {
  const { node } = c;
  const e = node.mempool.get(txid)!;
  const sum = (ids: Iterable<string>, f: (id: string) => number): number =>
    [...ids].reduce((s, id) => s + f(id), 0);
  const vsize = (id: string): number => node.mempool.get(id)!.tx.virtualSize();
  const fee = (id: string): number => node.mempool.get(id)!.fee;
  const anc = [...node.ancestorsOf(txid), txid];
  const desc = [...node.descendantsOf(txid), txid];
  const signals = (id: string): boolean => node.mempool.get(id)!.tx.ins.some((i) => i.sequence < 0xfffffffe);
  return {
    vsize: e.tx.virtualSize(),
    weight: e.tx.weight(),
    time: e.time,
    height: e.height,
    descendantcount: desc.length,
    descendantsize: sum(desc, vsize),
    ancestorcount: anc.length,
    ancestorsize: sum(anc, vsize),
    wtxid: Buffer.from(e.tx.getHash(true)).reverse().toString('hex'),
    fees: {
      base: new Amount(e.fee),
      modified: new Amount(e.fee),
      ancestor: new Amount(sum(anc, fee)),
      descendant: new Amount(sum(desc, fee)),
    },
    depends: e.depends,
    spentby: node.childrenOf(txid),
    'bip125-replaceable': anc.some(signals),
    unbroadcast: false,
  };
}

/** entryAll() order: GetSortedDepthAndScore (ancestor count, then fee rate high to low, then txid). */
export function sortedMempool(node: CoreNode): string[] {
  const key = (id: string) => {
    const e = node.mempool.get(id)!;
    return { depth: node.ancestorsOf(id).size, fee: e.fee, size: e.tx.virtualSize() };
  };
  return [...node.mempool.keys()].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x.depth !== y.depth) return x.depth - y.depth;
    const byRate = y.fee * x.size - x.fee * y.size;
    return byRate !== 0 ? byRate : byInternalHash(a, b);
  });
}

/** sat/kvB: v28's default -minrelaytxfee (also mempoolminfee and incrementalrelayfee here). */
export const MIN_RELAY = 1000;
