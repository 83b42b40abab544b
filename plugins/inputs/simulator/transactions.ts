import type { TxInput, TxOutput, TxSeen } from '../../../src/index.js';
import type { Random } from './random.js';

/** BIP 125: a sequence below 0xfffffffe signals replaceability; this is what wallets use. */
export const SEQUENCE_RBF = 0xfffffffd;
export const SEQUENCE_FINAL = 0xffffffff;

const BECH32 = Buffer.from('qpzry9x8gf2tvdw0s3jn54khce6mua7l', 'latin1');
const chars = Buffer.alloc(64);
const MEDIAN_VALUE_SATS = 5_000_000; // 0.05 BTC
const VALUE_SIGMA = 2;
const MIN_VALUE_SATS = 1_000;
const WHALE_ALPHA = 1.5;
const WHALE_CAP_BTC = 20_000;
const MEDIAN_FEE_RATE = 8;
const FEE_RATE_SIGMA = 1.1;
const MAX_FEE_RATE = 500;
/** vbytes one more P2WPKH input adds. */
const INPUT_VSIZE = 68;
const LEGACY_INPUT_VSIZE = 148;

/** How the next transaction's value is drawn. */
export interface ValueModel {
  /** Whale threshold in satoshis: a whale's value is strictly greater. */
  whaleSats: number;
  /** Probability that one transaction is a whale. */
  whaleProbability: number;
}

/**
 * A transaction value in integer satoshis: with `whaleProbability`, a whale, Pareto-distributed
 * (alpha 1.5) above the threshold and capped at 20,000 BTC; otherwise log-normal (median 0.05 BTC)
 * redrawn until strictly below the threshold, so whales arrive only at the configured rate.
 */
export function drawValue(rng: Random, model: ValueModel): number {
  const { whaleSats } = model;
  if (rng.chance(model.whaleProbability)) {
    const cap = Math.max(WHALE_CAP_BTC * 1e8, 2 * whaleSats);
    const sats = Math.round(rng.pareto(whaleSats, WHALE_ALPHA));
    return Math.min(cap, Math.max(whaleSats + 1, sats));
  }
  for (let tries = 0; tries < 16; tries++) {
    const sats = Math.max(
      MIN_VALUE_SATS,
      Math.round(rng.lognormal(Math.log(MEDIAN_VALUE_SATS), VALUE_SIGMA)),
    );
    if (sats < whaleSats) return sats;
  }
  // Only reached with a threshold far below typical values: uniform below it instead.
  return Math.max(1, Math.floor(rng.next() * whaleSats));
}

/** A fee rate in sat/vB: log-normal with median 8, clamped to [1, 500]. */
export function drawFeeRate(rng: Random): number {
  return Math.min(MAX_FEE_RATE, Math.max(1, rng.lognormal(Math.log(MEDIAN_FEE_RATE), FEE_RATE_SIGMA)));
}

/** A plausible fake mainnet address: mostly P2WPKH (`bc1q…`, 42 chars), some P2TR (`bc1p…`, 62). */
export function fakeAddress(rng: Random): string {
  return rng.chance(0.8) ? 'bc1q' + base32(rng, 38) : 'bc1p' + base32(rng, 58);
}

function base32(rng: Random, length: number): string {
  // Six 5-bit characters from each 32-bit word, written into a scratch buffer (fast, no garbage).
  for (let i = 0; i < length;) {
    let word = rng.uint32();
    for (let k = 0; k < 6 && i < length; k++, i++, word >>>= 5) chars[i] = BECH32[word & 31] ?? 0;
  }
  return chars.toString('latin1', 0, length);
}

/**
 * Split `total` satoshis into `n` positive integer parts that sum to it exactly. Callers pass
 * totals of at least a few hundred satoshis, so every part stays positive.
 */
export function splitSats(rng: Random, total: number, n: number): number[] {
  if (n <= 1) return [total];
  const weights: number[] = [];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i] = 0.05 + rng.next();
  const parts: number[] = [];
  let rest = total;
  for (let i = 1; i < n; i++) rest -= parts[i] = Math.max(1, Math.floor((total * (weights[i] ?? 0)) / sum));
  parts[0] = rest;
  return parts;
}

function newInput(rng: Random, valueSats: number, sequence: number): TxInput {
  return { txid: rng.hex(32), vout: rng.int(0, 3), sequence, address: fakeAddress(rng), valueSats };
}

function count(rng: Random, weights: readonly [number, number, number]): number {
  const u = rng.next();
  return u < weights[0] ? 1 : u < weights[0] + weights[1] ? 2 : 3;
}

/** What {@link createTx} needs beyond randomness. */
export interface TxDraft {
  valueSats: number;
  feeRate: number;
  signaling: boolean;
  firstSeen: string;
}

/**
 * A normalized transaction: 1–3 inputs and 1–3 outputs with fake addresses, outputs summing to
 * `valueSats`, inputs to `valueSats + feeSats`, a P2WPKH- or P2PKH-like vsize (110–590 vB,
 * about 235 on average: at the default 7 tx/s arrivals about fill the blocks, so a backlog
 * comes and goes as on mainnet), `feeSats = max(vsize, round(feeRate × vsize))` and the exact
 * resulting `feeRate`.
 */
export function createTx(rng: Random, draft: TxDraft): TxSeen {
  const nIn = count(rng, [0.5, 0.3, 0.2]);
  const nOut = count(rng, [0.25, 0.6, 0.15]);
  // One in five spends legacy (P2PKH, 148 vB) inputs instead of SegWit ones.
  const perInput = rng.chance(0.2) ? LEGACY_INPUT_VSIZE : INPUT_VSIZE;
  const vsize = 11 + perInput * nIn + 31 * nOut + rng.int(0, 40);
  const feeSats = Math.max(vsize, Math.round(draft.feeRate * vsize));
  const sequence = draft.signaling ? SEQUENCE_RBF : SEQUENCE_FINAL;
  const outputs: TxOutput[] = splitSats(rng, draft.valueSats, nOut).map((valueSats) => ({
    address: fakeAddress(rng),
    valueSats,
  }));
  const inputs = splitSats(rng, draft.valueSats + feeSats, nIn).map((v) => newInput(rng, v, sequence));
  return {
    txid: rng.hex(32),
    valueSats: draft.valueSats,
    feeSats,
    vsize,
    feeRate: feeSats / vsize,
    inputs,
    outputs,
    rbfSignaling: draft.signaling,
    firstSeen: draft.firstSeen,
  };
}

/**
 * A replacement of `old` (BIP 125 rules 3, 4 and 6): it spends the same first input, pays the
 * same outputs, and funds a higher fee with fresh other inputs (one is added when `old` had a
 * single input). Its fee is at least `old.feeSats + vsize` (1 sat/vB incremental relay fee) and
 * its fee rate 1.25–2.5 × the old one + 1 (at most 200 sat/vB more). A full-RBF replacement (`old` did not signal) does
 * not signal either.
 */
export function createReplacement(rng: Random, old: TxSeen, firstSeen: string): TxSeen {
  const [first, ...rest] = old.inputs;
  if (!first) throw new Error(`transaction ${old.txid} has no input to conflict with`);
  const others = Math.max(1, rest.length);
  const vsize = old.vsize + (others - rest.length) * INPUT_VSIZE;
  // Bounded step so that chains of replacements stay within plausible fee rates.
  const rate = Math.min(old.feeRate * (1.25 + 1.25 * rng.next()) + 1, old.feeRate + 200);
  const feeSats = Math.max(Math.ceil(rate * vsize), old.feeSats + vsize);
  const sequence = old.rbfSignaling ? SEQUENCE_RBF : SEQUENCE_FINAL;
  const firstValue = first.valueSats ?? 0;
  const inputs = [
    { ...first, sequence },
    ...splitSats(rng, old.valueSats + feeSats - firstValue, others).map((v) => newInput(rng, v, sequence)),
  ];
  return {
    txid: rng.hex(32),
    valueSats: old.valueSats,
    feeSats,
    vsize,
    feeRate: feeSats / vsize,
    inputs,
    outputs: old.outputs.map((o) => ({ ...o })),
    rbfSignaling: old.rbfSignaling,
    firstSeen,
  };
}
