import { createHash } from 'node:crypto';
import type { MempoolTransactionExtended } from '../fixtures.js';

/** The fields a test gives for a new block. */
export interface BlockInput {
  id: string;
  height: number;
  timestamp: number;
  tx_count?: number;
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

const sha256d = (b: Buffer): Buffer =>
  createHash('sha256').update(createHash('sha256').update(b).digest()).digest();
const reverseHex = (hex: string): string => Buffer.from(hex, 'hex').reverse().toString('hex');

function u32le(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b.toString('hex');
}

/** Bitcoin merkle root of txids (display order in, display order out). */
export function merkleRoot(txids: string[]): string {
  if (txids.length === 0) return '0'.repeat(64);
  let level: Buffer[] = txids.map((t) => Buffer.from(t, 'hex').reverse());
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as Buffer;
      next.push(sha256d(Buffer.concat([left, level[i + 1] ?? left])));
    }
    level = next;
  }
  return Buffer.from(level[0] as Buffer)
    .reverse()
    .toString('hex');
}

/** Block subsidy in sats at a height. */
export function subsidy(height: number): number {
  const halvings = Math.floor(height / 210_000);
  return halvings >= 64 ? 0 : Math.floor(5_000_000_000 / 2 ** halvings);
}

/** The BIP34 height push that starts a coinbase scriptSig. */
function heightPush(height: number): string {
  const bytes: number[] = [];
  for (let h = height; h > 0; h = Math.floor(h / 256)) bytes.push(h % 256);
  if ((bytes.at(-1) ?? 0) & 0x80) bytes.push(0);
  return [bytes.length, ...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0;
}

/** Extras computed from the mined txs the fake knew (its mempool); empty when it knew none. */
function knownExtras(txs: MempoolTransactionExtended[], height: number): Json {
  if (txs.length === 0) return {};
  const totalFees = txs.reduce((s, t) => s + t.fee, 0);
  const weight = txs.reduce((s, t) => s + t.weight, 0);
  const rates = txs.map((t) => t.effectiveFeePerVsize).sort((a, b) => a - b);
  const segwit = txs.filter((t) => t.vin.some((v) => (v.witness?.length ?? 0) > 0));
  const inputs = txs.reduce((s, t) => s + t.vin.length, 0);
  const outputs = txs.reduce((s, t) => s + t.vout.length, 0);
  return {
    reward: subsidy(height) + totalFees,
    medianFee: percentile(rates, 0.5),
    feeRange: [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1].map((p) => percentile(rates, p)),
    totalFees,
    avgFee: Math.round(totalFees / txs.length),
    avgFeeRate: Math.round(totalFees / (weight / 4)),
    utxoSetChange: outputs - inputs,
    avgTxSize: Math.round((txs.reduce((s, t) => s + t.size, 0) / txs.length) * 100) / 100,
    totalInputs: inputs,
    totalOutputs: outputs,
    totalOutputAmt: txs.reduce((s, t) => s + t.vout.reduce((a, o) => a + o.value, 0), 0),
    segwitTotalTxs: segwit.length,
    segwitTotalSize: segwit.reduce((s, t) => s + t.size, 0),
    segwitTotalWeight: segwit.reduce((s, t) => s + t.weight, 0),
  };
}

/** Median of the last 11 timestamps (BIP113 median time past). */
function medianTime(timestamps: number[]): number {
  const last = timestamps.slice(-11).sort((a, b) => a - b);
  return last[Math.floor(last.length / 2)] ?? 0;
}

/**
 * A plausible BlockExtended (§4.5) for a pushed block: the given fields, the previous block's id, a real
 * merkle root and header over the mined txids, fee statistics from the mined txs the fake knew, and the
 * other extras (pool, matchRate, …) copied from `template` (the latest block the server reported).
 */
export function buildBlock(
  input: BlockInput,
  minedTxids: string[],
  known: MempoolTransactionExtended[],
  recent: Json[],
): Json {
  const template = recent.at(-1) ?? {};
  const extras = isRecord(template.extras) ? template.extras : {};
  const version = num(template.version, 0x20000000);
  const bits = num(template.bits, 0x1d00ffff);
  const nonce = num(template.nonce, 0);
  const previousblockhash = typeof template.id === 'string' ? template.id : '0'.repeat(64);
  const merkle_root = merkleRoot(minedTxids);
  const header =
    u32le(version) +
    reverseHex(previousblockhash) +
    reverseHex(merkle_root) +
    u32le(input.timestamp) +
    u32le(bits) +
    u32le(nonce);
  const coinbaseTail = typeof extras.coinbaseRaw === 'string' ? extras.coinbaseRaw : '';
  const pushLen = parseInt(coinbaseTail.slice(0, 2), 16) || 0;
  const fees = knownExtras(known, input.height);
  const size = known.length ? 81 + known.reduce((s, t) => s + t.size, 0) : num(template.size, 0);
  const weight = known.length ? 324 + known.reduce((s, t) => s + t.weight, 0) : num(template.weight, 0);
  return {
    id: input.id,
    height: input.height,
    version,
    timestamp: input.timestamp,
    bits,
    nonce,
    difficulty: num(template.difficulty, 1),
    merkle_root,
    tx_count: input.tx_count ?? Math.max(1, minedTxids.length),
    size,
    weight,
    previousblockhash,
    mediantime: medianTime([...recent.map((b) => num(b.timestamp, 0)), input.timestamp]),
    stale: false,
    extras: {
      ...extras,
      coinbaseRaw: heightPush(input.height) + coinbaseTail.slice(2 + pushLen * 2),
      orphans: [],
      ...fees,
      virtualSize: weight / 4,
      header,
    },
  };
}
