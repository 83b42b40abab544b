import { Block, script as bscript, Transaction } from 'bitcoinjs-lib';
import type { EsploraTx } from '../fixtures.js';
import type { BlockInput, ChainBlock, MakeBlockOptions } from './types.js';

/** Bytes of a hash in display (RPC) hex, i.e. reversed from the internal order. */
export const displayBytes = (hex: string): Buffer => Buffer.from(hex, 'hex');

/** The internal (little-endian) bytes of a display-hex hash. */
export const internalBytes = (hex: string): Buffer => Buffer.from(hex, 'hex').reverse();

/** `txid:vout` of an input's outpoint. */
export const outpointOf = (input: Transaction['ins'][number]): string =>
  `${Buffer.from(input.hash).reverse().toString('hex')}:${input.index}`;

/**
 * Order of a `setEntries` (std::set ordered by CompareIteratorByHash): uint256 `operator<`, a memcmp of the
 * internal bytes. Core removes a staged set (replaced, conflicts, expiry) in this order.
 */
export const byInternalHash = (a: string, b: string): number =>
  Buffer.compare(internalBytes(a), internalBytes(b));

/** The target encoded by compact `bits`. */
export function targetOf(bits: number): bigint {
  const exponent = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  return exponent <= 3 ? mantissa >> BigInt(8 * (3 - exponent)) : mantissa << BigInt(8 * (exponent - 3));
}

/** Core's `GetBlockProof`: 2^256 / (target + 1). */
export const workOf = (bits: number): bigint => (1n << 256n) / (targetOf(bits) + 1n);

/** Core's `GetDifficulty` (a double, computed the same way). */
export function difficultyOf(bits: number): number {
  let shift = (bits >>> 24) & 0xff;
  let diff = 0x0000ffff / (bits & 0x00ffffff);
  for (; shift < 29; shift++) diff *= 256;
  for (; shift > 29; shift--) diff /= 256;
  return diff;
}

/** Block subsidy at `height` in sats (mainnet halvings). */
export const subsidyAt = (height: number): number => Math.floor(50e8 / 2 ** Math.floor(height / 210_000));

/** Median of the times of `block` and up to 10 ancestors (Core's GetMedianTimePast over the known chain). */
export function medianTimePast(chain: readonly ChainBlock[], index: number): number {
  const times = chain
    .slice(Math.max(0, index - 10), index + 1)
    .map((b) => b.time)
    .sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

/** Parse a block given as hex, or pass a parsed one through. Transaction arrays need `makeBlock` first. */
export function parseBlock(input: Exclude<BlockInput, Transaction[]>): Block {
  const block = typeof input === 'string' ? Block.fromHex(input.trim()) : input;
  if (!block.transactions?.length) throw new Error('fake-core: a block without transactions');
  return block;
}

const WITNESS_RESERVED = new Uint8Array(32);

/**
 * A block mining `txs` on `parent`: a BIP34 coinbase paying subsidy + `fees` to OP_TRUE (with the BIP141
 * witness commitment when a transaction has a witness), a valid merkle root, `prevHash` = parent. Its
 * proof of work is not valid (nonce 0): the fake does not check it, and neither should a client.
 */
export function buildBlock(
  parent: { hash: string; height: number; time: number; bits: number },
  txs: readonly Transaction[],
  fees: number,
  o: MakeBlockOptions = {},
): Block {
  const height = parent.height + 1;
  const coinbase = new Transaction();
  coinbase.version = 1;
  const tag = Buffer.from('fake-core', 'ascii');
  coinbase.addInput(
    new Uint8Array(32),
    0xffffffff,
    0xffffffff,
    bscript.compile([bscript.number.encode(height), tag]),
  );
  coinbase.addOutput(Uint8Array.from([0x51]), BigInt(subsidyAt(height) + fees));
  const all = [coinbase, ...txs];
  if (txs.some((t) => t.hasWitnesses())) {
    coinbase.setWitness(0, [WITNESS_RESERVED]);
    const commitment = Block.calculateMerkleRoot(all, true);
    coinbase.addOutput(Buffer.concat([Buffer.from('6a24aa21a9ed', 'hex'), commitment]), 0n);
  }
  const block = new Block();
  block.version = o.version ?? 0x20000000;
  block.prevHash = internalBytes(parent.hash);
  block.timestamp = o.time ?? parent.time + 600;
  block.bits = o.bits ?? parent.bits;
  block.nonce = o.nonce ?? 0;
  block.transactions = all;
  block.merkleRoot = Block.calculateMerkleRoot(all);
  const commit = block.getWitnessCommit();
  if (commit) block.witnessCommit = commit;
  return block;
}

/**
 * The exact wire bytes of an Esplora transaction (version, inputs with scriptSig, witness and sequence,
 * outputs, locktime): a real transaction from a fixture, as Core would publish it on `rawtx`. Throws when
 * the rebuilt txid differs from `tx.txid`.
 */
export function txFromEsplora(tx: EsploraTx): Transaction {
  const t = new Transaction();
  t.version = tx.version;
  t.locktime = tx.locktime;
  tx.vin.forEach((v, i) => {
    t.addInput(internalBytes(v.txid), v.vout, v.sequence, Buffer.from(v.scriptsig, 'hex'));
    if (v.witness?.length)
      t.setWitness(
        i,
        v.witness.map((w) => Buffer.from(w, 'hex')),
      );
  });
  for (const o of tx.vout) t.addOutput(Buffer.from(o.scriptpubkey, 'hex'), BigInt(o.value));
  if (t.getId() !== tx.txid) throw new Error(`fake-core: rebuilt ${t.getId()}, expected ${tx.txid}`);
  return t;
}

/** A transaction (synthetic bytes, not signed) spending `txid:vout` to OP_TRUE: a conflict or a child. */
export function spendingTx(txid: string, vout: number, value = 1000n, sequence = 0xfffffffd): Transaction {
  const t = new Transaction();
  t.addInput(internalBytes(txid), vout, sequence);
  t.addOutput(Uint8Array.from([0x51]), value);
  return t;
}

/** An amount in sats that the RPC layer writes as Core does: a JSON number with exactly 8 decimals. */
export class Amount {
  constructor(readonly sats: number) {}
  /** `ValueFromAmount`: sign, whole coins, `.`, 8 digits. */
  toString(): string {
    const abs = Math.abs(this.sats);
    const sign = this.sats < 0 ? '-' : '';
    return `${sign}${Math.floor(abs / 1e8)}.${String(abs % 1e8).padStart(8, '0')}`;
  }
  toJSON(): string {
    return `@@amount:${this.toString()}@@`;
  }
}

/** JSON text with every {@link Amount} written as a raw number (`0.00001000`, as UniValue writes it). */
export const stringifyWithAmounts = (value: unknown): string =>
  JSON.stringify(value).replace(/"@@amount:(-?\d+\.\d{8})@@"/g, '$1');
