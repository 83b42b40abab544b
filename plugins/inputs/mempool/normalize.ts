import type { TxInput, TxOutput, TxSeen } from '../../../src/index.js';
import { Check, field, MAX_SATS, type Path, type RejectReason } from './validate.js';

export { MAX_SATS } from './validate.js';

const RBF_SEQUENCE = 0xfffffffe;

// Paths of the fields read in lists, built from the entry index only when a value is bad.
const OUT: Path = (i) => `vout[${i}]`;
const OUT_VALUE: Path = (i) => `vout[${i}].value`;
const OUT_ADDRESS: Path = (i) => `vout[${i}].scriptpubkey_address`;
const IN: Path = (i) => `vin[${i}]`;
const IN_SEQUENCE: Path = (i) => `vin[${i}].sequence`;
const IN_TXID: Path = (i) => `vin[${i}].txid`;
const IN_VOUT: Path = (i) => `vin[${i}].vout`;
const IN_PREVOUT: Path = (i) => `vin[${i}].prevout`;
const IN_PREV_VALUE: Path = (i) => `vin[${i}].prevout.value`;
const IN_PREV_ADDRESS: Path = (i) => `vin[${i}].prevout.scriptpubkey_address`;
const ENTRY: Path = (i) => `[${i}]`;
const ENTRY_FIELDS = ['txid', 'fee', 'vsize', 'value', 'rate', 'flags', 'time'].map(
  (name, k): Path =>
    (i) =>
      `[${i}][${k}] (${name})`,
);

export type Normalized = { ok: true; tx: TxSeen } | { ok: false; reason: RejectReason; why: string };

/**
 * Normalize an Esplora transaction or a mempool.space `MempoolTransactionExtended` into a
 * `tx.seen` payload. Never throws: anything that is not a plausible transaction (wrong types,
 * negative, fractional, NaN or impossible amounts, a malformed txid, an impossible size or time)
 * is refused with the reason of the first bad value (see validate.ts).
 *
 * Value is the sum of all outputs; `vsize` is the server's (ceil(weight/4)) or derived from
 * weight; inputs without `prevout` (coinbase, or servers that do not send it) have null
 * address and value; outputs without `scriptpubkey_address` (OP_RETURN, P2PK, bare multisig)
 * have a null address. RBF signalling: any input sequence below 0xfffffffe (BIP 125).
 * `firstSeen` is the server's (unix s) when it sends one, else now.
 */
export function normalizeTx(raw: unknown, now: () => number): Normalized {
  const c = new Check(now);
  const tx = readTx(raw, c);
  if (tx && c.ok) return { ok: true, tx };
  return { ok: false, ...(c.failure ?? { reason: 'internal', why: 'transaction refused without a reason' }) };
}

/** The transaction, or null when a value is bad (`c.failure` says which). */
export function readTx(raw: unknown, c: Check): TxSeen | null {
  const t = c.object(raw, '');
  const txid = c.id(field(t, 'txid'), 'txid');
  const fee = c.amount(field(t, 'fee'), 'fee');
  const vout = c.list(field(t, 'vout'), 'vout', 1);
  const vin = c.list(field(t, 'vin'), 'vin', 1);
  const vsize = vsizeOf(field(t, 'vsize'), field(t, 'weight'), c);
  const firstSeenSec = field(t, 'firstSeen');
  const firstSeen =
    firstSeenSec === undefined || firstSeenSec === null
      ? new Date(c.now()).toISOString()
      : c.time(firstSeenSec, 'firstSeen');
  if (!c.ok) return null;

  const outputs: TxOutput[] = new Array(vout.length);
  let valueSats = 0;
  for (let i = 0; i < vout.length; i++) {
    c.at = i;
    const o = c.object(vout[i], OUT);
    const value = c.amount(field(o, 'value'), OUT_VALUE);
    const address = c.address(field(o, 'scriptpubkey_address'), OUT_ADDRESS);
    if (!c.ok) return null;
    valueSats += value;
    outputs[i] = { address, valueSats: value };
  }
  if (valueSats > MAX_SATS)
    return (c.fail('bad-amount', 'vout', 'outputs add up to more than 21 million BTC'), null);

  const inputs: TxInput[] = new Array(vin.length);
  let rbfSignaling = false;
  let spent = 0;
  for (let i = 0; i < vin.length; i++) {
    c.at = i;
    const v = c.object(vin[i], IN);
    const sequence = c.u32(field(v, 'sequence'), IN_SEQUENCE);
    const prevTxid = field(v, 'txid');
    const prevVout = field(v, 'vout');
    const input: TxInput = {
      txid: prevTxid === undefined ? '' : c.id(prevTxid, IN_TXID),
      vout: prevVout === undefined ? 0 : c.u32(prevVout, IN_VOUT),
      sequence,
      address: null,
      valueSats: null,
    };
    const prevout = field(v, 'prevout');
    if (prevout !== null && prevout !== undefined) {
      const p = c.object(prevout, IN_PREVOUT);
      input.valueSats = c.amount(field(p, 'value'), IN_PREV_VALUE);
      input.address = c.address(field(p, 'scriptpubkey_address'), IN_PREV_ADDRESS);
      spent += input.valueSats;
    }
    if (!c.ok) return null;
    if (sequence < RBF_SEQUENCE) rbfSignaling = true;
    inputs[i] = input;
  }
  if (spent > MAX_SATS)
    return (c.fail('bad-amount', 'vin', 'inputs add up to more than 21 million BTC'), null);

  const tx: TxSeen = {
    txid,
    valueSats,
    feeSats: fee,
    vsize,
    feeRate: fee / vsize,
    inputs,
    outputs,
    rbfSignaling,
    firstSeen,
  };
  addProjection(tx, t, c.now);
  return tx;
}

/**
 * The server's package fee rate and projected position, when it sends them and they are
 * plausible. They only refine a prediction: a bad one is left out rather than refusing the
 * transaction (a whale is never lost to a malformed hint).
 */
function addProjection(tx: TxSeen, t: Record<string, unknown>, now: () => number): void {
  const effective = field(t, 'effectiveFeePerVsize');
  if (effective !== undefined && effective !== null) {
    const c = new Check(now);
    const rate = c.rate(effective, 'effectiveFeePerVsize');
    if (c.ok) tx.effectiveFeeRate = rate;
  }
  const position = field(t, 'position');
  if (position !== undefined && position !== null) {
    const c = new Check(now);
    const p = c.object(position, 'position');
    const block = c.count(field(p, 'block'), 'position.block');
    const vsize = c.count(field(p, 'vsize'), 'position.vsize');
    if (c.ok && Number.isInteger(block)) tx.position = { block, vsize };
  }
}

/** The server's vsize when it sends one, else ceil(weight / 4); whichever is sent must be plausible. */
function vsizeOf(vsize: unknown, weight: unknown, c: Check): number {
  if (vsize === undefined && weight === undefined) {
    c.fail('bad-size', 'vsize', 'neither vsize nor weight is sent');
    return 1;
  }
  const fromWeight = weight === undefined ? undefined : Math.ceil(c.weight(weight, 'weight') / 4);
  return vsize === undefined ? (fromWeight as number) : c.vsize(vsize, 'vsize');
}

/**
 * A `tx.seen` from a projected-block entry, `TransactionCompressed = [txid, fee, vsize, value, rate,
 * flags, time, accelerated?]` (gap recovery): no inputs or outputs, only what the list carries
 * (marked `partial`). `time` 0 means unknown (then now). Null when a value is bad; paths name the
 * entry by `c.at` (its index in the list).
 */
export function readCompressedTx(raw: unknown, c: Check): TxSeen | null {
  const t = c.list(raw, ENTRY, 7);
  if (!c.ok) return null;
  const [txidAt, feeAt, vsizeAt, valueAt, rateAt, flagsAt, timeAt] = ENTRY_FIELDS as [
    Path,
    Path,
    Path,
    Path,
    Path,
    Path,
    Path,
  ];
  const txid = c.id(t[0], txidAt);
  const fee = c.amount(t[1], feeAt);
  const vsize = c.vsize(t[2], vsizeAt);
  const value = c.amount(t[3], valueAt);
  const rate = c.rate(t[4], rateAt);
  const flags = c.flags(t[5], flagsAt);
  const firstSeen = t[6] === 0 ? new Date(c.now()).toISOString() : c.time(t[6], timeAt);
  if (!c.ok) return null;
  return {
    txid,
    valueSats: value,
    feeSats: fee,
    vsize,
    feeRate: fee / vsize,
    // The list's rate is mempool.space's effectiveFeePerVsize (protocol doc §4.4).
    effectiveFeeRate: rate,
    inputs: [],
    outputs: [],
    // flags is a bitfield past 2^32: `%` keeps bit 0 where `&` would truncate.
    rbfSignaling: flags % 2 === 1,
    firstSeen,
    partial: true,
  };
}
