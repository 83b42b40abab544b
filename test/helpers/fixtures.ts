/**
 * Real Bitcoin / mempool.space data for tests, read from `../shared/fixtures/` beside the checkout
 * (see /work/shared/fixtures/README.md). Nothing here is copied into the repository: tests that need a
 * fixture should skip when {@link hasFixtures} is false.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The fixtures folder as a URL (`/work/shared/fixtures/` when the checkout is /work/main). */
export const FIXTURES_URL = new URL('../../../shared/fixtures/', import.meta.url);
/** The fixtures folder as an absolute path, with a trailing slash. */
export const FIXTURES_DIR = fileURLToPath(FIXTURES_URL);

const FILES = {
  block277647: 'mainnet-block-277647-esplora-full.json',
  block277647Sample: 'mainnet-block-277647-esplora-sample.json',
  init: 'mempool-repo/mainnet_mempoolInfo.json',
  rbfs: 'mempool-repo/transactions-rbfs.json',
  replaced: 'mempool-repo/transactions-replaced.json',
  tx01: 'mempool-repo/tx01_api_cached.json',
  tx02: 'mempool-repo/tx02_api_tx.json',
  blockFrame: 'mempool-repo/tx02_ws_block.json',
} as const;

/** True when every fixture file used by these loaders is present. */
export const hasFixtures: boolean = Object.values(FILES).every((f) => existsSync(new URL(f, FIXTURES_URL)));

/** Script types electrs reports in `scriptpubkey_type` (§4.1; `fee` is Liquid only). */
export type ScriptPubKeyType =
  | 'p2pk'
  | 'p2pkh'
  | 'p2sh'
  | 'v0_p2wpkh'
  | 'v0_p2wsh'
  | 'v1_p2tr'
  | 'anchor'
  | 'op_return'
  | 'multisig'
  | 'provably_unspendable'
  | 'empty'
  | 'unknown'
  | 'fee';

/** An Esplora output (electrs `TxOutValue`). Amounts are integer sats. */
export interface EsploraVout {
  scriptpubkey: string;
  scriptpubkey_asm: string;
  scriptpubkey_type: ScriptPubKeyType;
  /** Omitted when the script has no address. */
  scriptpubkey_address?: string;
  value: number;
}

/** An Esplora input (electrs `TxInValue`). */
export interface EsploraVin {
  txid: string;
  vout: number;
  /** Null for the coinbase. */
  prevout: EsploraVout | null;
  scriptsig: string;
  scriptsig_asm: string;
  /** Omitted when the input has no witness. */
  witness?: string[];
  is_coinbase: boolean;
  sequence: number;
  inner_redeemscript_asm?: string;
  inner_witnessscript_asm?: string;
}

/** Confirmation status; the optional fields are omitted while unconfirmed. */
export interface EsploraStatus {
  confirmed: boolean;
  block_height?: number;
  block_hash?: string;
  block_time?: number;
}

/** An Esplora transaction as served by `GET /api/tx/:txid` on mempool.space (protocol doc §4.1). */
export interface EsploraTx {
  txid: string;
  version: number;
  locktime: number;
  vin: EsploraVin[];
  vout: EsploraVout[];
  /** Bytes. */
  size: number;
  /** Weight units (vsize = weight / 4). */
  weight: number;
  /** Sigop cost. */
  sigops: number;
  /** Sats (0 for the coinbase). */
  fee: number;
  status: EsploraStatus;
}

/** `{txid, fee, weight}` as in `ancestors` / `descendants`. */
export interface CpfpRef {
  txid: string;
  fee: number;
  weight: number;
}

/** The full transaction mempool.space sends over WS (`mempool-transactions.added`, `tx`, …; §4.2). */
export interface MempoolTransactionExtended extends EsploraTx {
  order: number;
  vsize: number;
  adjustedVsize: number;
  feePerVsize: number;
  adjustedFeePerVsize: number;
  effectiveFeePerVsize: number;
  firstSeen: number;
  uid: number;
  inputs: number[];
  cpfpDirty: boolean;
  ancestors: CpfpRef[];
  descendants: CpfpRef[];
  bestDescendant: CpfpRef | null;
  position: { block: number; vsize: number };
  flags: number;
}

/** An RBF pair: `by` spends an outpoint of `replaced` with a higher fee. */
export interface RbfPair {
  replaced: EsploraTx;
  by: EsploraTx;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEsploraTx(v: unknown): v is EsploraTx {
  return (
    isRecord(v) &&
    typeof v.txid === 'string' &&
    Array.isArray(v.vin) &&
    Array.isArray(v.vout) &&
    typeof v.weight === 'number' &&
    typeof v.fee === 'number' &&
    isRecord(v.status)
  );
}

/** Parse a fixture file (path relative to {@link FIXTURES_DIR}). Throws with the path when it is missing. */
export function loadFixtureJson(relative: string): unknown {
  const url = new URL(relative, FIXTURES_URL);
  if (!existsSync(url)) throw new Error(`fixture missing: ${fileURLToPath(url)} (is ../shared present?)`);
  return JSON.parse(readFileSync(url, 'utf8')) as unknown;
}

function asTx(v: unknown, where: string): EsploraTx {
  if (!isEsploraTx(v)) throw new Error(`${where}: not an Esplora transaction`);
  return toEsploraTx(v);
}

function asTxArray(v: unknown, where: string): EsploraTx[] {
  if (!Array.isArray(v)) throw new Error(`${where}: not an array`);
  return v.map((t, i) => asTx(t, `${where}[${i}]`));
}

/** Only the Esplora fields of a (possibly extended) transaction, in electrs' key order. */
export function toEsploraTx(tx: EsploraTx): EsploraTx {
  const { txid, version, locktime, vin, vout, size, weight, sigops, fee, status } = tx;
  return { txid, version, locktime, vin, vout, size, weight, sigops, fee, status };
}

/** All 213 transactions of mainnet block 277647 as Esplora JSON, in block order (coinbase first). */
export function loadBlock277647(): EsploraTx[] {
  return asTxArray(loadFixtureJson(FILES.block277647), FILES.block277647);
}

/** The header of block 277647 in Esplora `BlockValue` form (no `mediantime`). */
export function loadBlock277647Header(): {
  id: string;
  height: number;
  timestamp: number;
  tx_count: number;
} & Record<string, unknown> {
  const sample = loadFixtureJson(FILES.block277647Sample);
  const block = isRecord(sample) ? sample.block : undefined;
  if (!isRecord(block) || typeof block.id !== 'string' || typeof block.height !== 'number') {
    throw new Error(`${FILES.block277647Sample}: no block header`);
  }
  return {
    ...block,
    id: block.id,
    height: block.height,
    timestamp: Number(block.timestamp),
    tx_count: Number(block.tx_count),
  };
}

/** A real init payload (mainnet, 2024-03; blocks 837043–837050; no `backend` key). */
export function loadInitPayload(): Record<string, unknown> {
  const init = loadFixtureJson(FILES.init);
  if (!isRecord(init)) throw new Error(`${FILES.init}: not an object`);
  return init;
}

/** A real `{block, mempool-blocks, txConfirmed}` frame (block 890448). */
export function loadBlockFrame(): Record<string, unknown> {
  const frame = loadFixtureJson(FILES.blockFrame);
  if (!isRecord(frame)) throw new Error(`${FILES.blockFrame}: not an object`);
  return frame;
}

function outpoints(tx: EsploraTx): Set<string> {
  return new Set(tx.vin.map((v) => `${v.txid}:${v.vout}`));
}

/**
 * Real RBF pairs, as plain Esplora txs: 7219d951… replaces 00859236… and 5387881d… replaces b7981a62…
 * (paired by shared input outpoint), then b6a53d8a… (tx02) replaces 242f3fff… (tx01).
 */
export function loadRbfPairs(): RbfPair[] {
  const replacements = asTxArray(loadFixtureJson(FILES.rbfs), FILES.rbfs);
  const replacedTxs = asTxArray(loadFixtureJson(FILES.replaced), FILES.replaced);
  const pairs = replacedTxs.map((replaced): RbfPair => {
    const spent = outpoints(replaced);
    const by = replacements.find((r) => [...outpoints(r)].some((o) => spent.has(o)));
    if (!by) throw new Error(`no replacement found for ${replaced.txid}`);
    return { replaced, by };
  });
  pairs.push({
    replaced: asTx(loadFixtureJson(FILES.tx01), FILES.tx01),
    by: asTx(loadFixtureJson(FILES.tx02), FILES.tx02),
  });
  return pairs;
}

/** Bits of mempool's `TransactionFlags` (§4.3) set by {@link extendTx}, as exponents. */
const FLAG_BITS = { rbf: 0, no_rbf: 1, v1: 2, v2: 3, v3: 4 } as const;
const SCRIPT_FLAG_BITS: Partial<Record<ScriptPubKeyType, number>> = {
  p2pk: 8,
  multisig: 9,
  p2pkh: 10,
  p2sh: 11,
  v0_p2wpkh: 12,
  v0_p2wsh: 13,
  v1_p2tr: 14,
  op_return: 24,
};

/** True when any input signals BIP125 replaceability (sequence < 0xfffffffe). */
export function signalsRbf(tx: EsploraTx): boolean {
  return tx.vin.some((v) => v.sequence < 0xfffffffe);
}

/**
 * A subset of mempool's classification flags: rbf / no_rbf, version and script types of inputs and outputs.
 * Summed as powers of two (never `|`), so bits above 31 would stay safe.
 */
export function txFlags(tx: EsploraTx): number {
  const bits = new Set<number>([signalsRbf(tx) ? FLAG_BITS.rbf : FLAG_BITS.no_rbf]);
  const versionBit = ({ 1: FLAG_BITS.v1, 2: FLAG_BITS.v2, 3: FLAG_BITS.v3 } as Record<number, number>)[
    tx.version
  ];
  if (versionBit !== undefined) bits.add(versionBit);
  const types = [
    ...tx.vin.map((v) => v.prevout?.scriptpubkey_type),
    ...tx.vout.map((o) => o.scriptpubkey_type),
  ];
  for (const type of types) {
    const bit = type === undefined ? undefined : SCRIPT_FLAG_BITS[type];
    if (bit !== undefined) bits.add(bit);
  }
  return [...bits].reduce((sum, bit) => sum + 2 ** bit, 0);
}

/** mempool's `txidToOrdering`: the last 4 bytes of the txid, byte-reversed, as an integer. */
export function txidToOrder(txid: string): number {
  return parseInt(txid.slice(62, 64) + txid.slice(60, 62) + txid.slice(58, 60) + txid.slice(56, 58), 16);
}

let nextUid = 1;

/**
 * Extend an Esplora tx the way mempool's `extendMempoolTransaction` does (§4.2): vsize = ceil(weight/4),
 * feePerVsize = fee/(weight/4), adjustedVsize = max(weight/4, sigops*5), no CPFP (effective = adjusted rate),
 * plus uid, position (middle of projected block 0), flags and empty CPFP fields. The input is not mutated.
 * @param firstSeen unix seconds; defaults to now.
 */
export function extendTx(
  tx: EsploraTx,
  firstSeen: number = Math.round(Date.now() / 1000),
): MempoolTransactionExtended {
  const fractionalVsize = tx.weight / 4;
  const adjustedVsize = Math.max(fractionalVsize, (tx.sigops ?? 0) * 5);
  const adjustedFeePerVsize = tx.fee / adjustedVsize;
  return {
    ...toEsploraTx(tx),
    status: { confirmed: false },
    order: txidToOrder(tx.txid),
    vsize: Math.ceil(fractionalVsize),
    adjustedVsize,
    feePerVsize: tx.fee / fractionalVsize,
    adjustedFeePerVsize,
    effectiveFeePerVsize: adjustedFeePerVsize,
    firstSeen,
    uid: nextUid++,
    inputs: [],
    cpfpDirty: false,
    ancestors: [],
    descendants: [],
    bestDescendant: null,
    position: { block: 0, vsize: fractionalVsize / 2 },
    flags: txFlags(tx),
  };
}

/** The same transaction with every output (and spent prevout) value multiplied: a whale-sized copy of a real one. */
export function scaleTx(tx: EsploraTx, factor: number): EsploraTx {
  return {
    ...tx,
    vout: tx.vout.map((o) => ({ ...o, value: o.value * factor })),
    vin: tx.vin.map((v) => ({
      ...v,
      prevout: v.prevout ? { ...v.prevout, value: v.prevout.value * factor } : null,
    })),
  };
}
