import type { TxInput, TxOutput, TxSeen } from '../../../src/bus/events.js';

/** 21 million BTC in satoshis: no amount can be larger. */
export const MAX_SATS = 2_100_000_000_000_000;
const TXID = /^[0-9a-fA-F]{64}$/;
const MAX_SEQUENCE = 0xffffffff;
const RBF_SEQUENCE = 0xfffffffe;

/** Why a transaction was refused (a metrics label). */
export type TxRejection = 'bad-tx';

export type Normalized = { ok: true; tx: TxSeen } | { ok: false; kind: TxRejection; why: string };

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAmount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_SATS;
const fail = (why: string): Normalized => ({ ok: false, kind: 'bad-tx', why });

/**
 * Normalize an Esplora transaction or a mempool.space `MempoolTransactionExtended` into a
 * `tx.seen` payload. Never throws: anything that is not a plausible transaction (wrong types,
 * negative, fractional, NaN or impossible amounts, a malformed txid) is refused with a reason.
 *
 * Value is the sum of all outputs; `vsize` is the server's (ceil(weight/4)) or derived from
 * weight; inputs without `prevout` (coinbase, or servers that do not send it) have null
 * address and value; outputs without `scriptpubkey_address` (OP_RETURN, P2PK, bare multisig)
 * have a null address. RBF signalling: any input sequence below 0xfffffffe (BIP 125).
 */
export function normalizeTx(raw: unknown, now: () => number): Normalized {
  if (!isObject(raw)) return fail('not an object');
  const { txid, vin, vout, fee, weight } = raw;
  if (typeof txid !== 'string' || !TXID.test(txid)) return fail('txid is not 64 hex digits');
  if (!Array.isArray(vout) || vout.length === 0) return fail('vout is not a non-empty array');
  if (!Array.isArray(vin) || vin.length === 0) return fail('vin is not a non-empty array');
  if (!isAmount(fee)) return fail('fee is not a whole number of satoshis');

  const outputs: TxOutput[] = new Array(vout.length);
  let valueSats = 0;
  for (let i = 0; i < vout.length; i++) {
    const o = vout[i] as Raw | undefined;
    if (!isObject(o) || !isAmount(o.value)) return fail(`vout[${i}].value is not a whole number of satoshis`);
    valueSats += o.value;
    outputs[i] = {
      address: typeof o.scriptpubkey_address === 'string' ? o.scriptpubkey_address : null,
      valueSats: o.value,
    };
  }
  if (valueSats > MAX_SATS) return fail('outputs add up to more than 21 million BTC');

  const inputs: TxInput[] = new Array(vin.length);
  let rbfSignaling = false;
  for (let i = 0; i < vin.length; i++) {
    const v = vin[i] as Raw | undefined;
    if (!isObject(v)) return fail(`vin[${i}] is not an object`);
    const seq = v.sequence;
    if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > MAX_SEQUENCE)
      return fail(`vin[${i}].sequence is not a u32`);
    if (seq < RBF_SEQUENCE) rbfSignaling = true;
    const prevout = v.prevout;
    if (prevout !== null && prevout !== undefined && (!isObject(prevout) || !isAmount(prevout.value))) {
      return fail(`vin[${i}].prevout.value is not a whole number of satoshis`);
    }
    inputs[i] = {
      txid: typeof v.txid === 'string' ? v.txid : '',
      vout: typeof v.vout === 'number' ? v.vout : 0,
      sequence: seq,
      address:
        isObject(prevout) && typeof prevout.scriptpubkey_address === 'string'
          ? prevout.scriptpubkey_address
          : null,
      valueSats: isObject(prevout) ? (prevout.value as number) : null,
    };
  }

  const vsize = vsizeOf(raw.vsize, weight);
  if (vsize === null) return fail('neither vsize nor weight is a positive number');
  const firstSeenSec = raw.firstSeen;
  const firstSeen =
    typeof firstSeenSec === 'number' &&
    Number.isFinite(firstSeenSec) &&
    firstSeenSec > 0 &&
    firstSeenSec < 1e11
      ? new Date(firstSeenSec * 1000).toISOString()
      : new Date(now()).toISOString();
  return {
    ok: true,
    tx: {
      txid: txid.toLowerCase(),
      valueSats,
      feeSats: fee,
      vsize,
      feeRate: fee / vsize,
      inputs,
      outputs,
      rbfSignaling,
      firstSeen,
    },
  };
}

function vsizeOf(vsize: unknown, weight: unknown): number | null {
  if (typeof vsize === 'number' && Number.isFinite(vsize) && vsize > 0 && vsize < 4_000_000) return vsize;
  if (typeof weight === 'number' && Number.isFinite(weight) && weight > 0 && weight <= 16_000_000)
    return Math.ceil(weight / 4);
  return null;
}

// Transactions arrive in bursts that share their first-seen second: format each second once.
let lastSecond = Number.NaN;
let lastIso = '';
function isoSeconds(seconds: number): string {
  if (seconds !== lastSecond) {
    lastSecond = seconds;
    lastIso = new Date(seconds * 1000).toISOString();
  }
  return lastIso;
}
