import type { ChangeRule, TxOutput, TxSeen } from '../../../src/index.js';

/** What {@link analyzeChange} found: the likely change output, if any, and what really moved. */
export interface ChangeAnalysis {
  /** `valueSats` minus the change output's value; `valueSats` itself when no rule applied. */
  transferredSats: number;
  /** The rule that picked the change output, or `none`. */
  changeRule: ChangeRule;
  /** The index of the change output in `tx.outputs`, or null. */
  changeIndex: number | null;
}

/** The script type an address form implies; `other` for any form not listed (it never matches). */
export type AddressType = 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr' | 'other';

/** A rule: the index of the one change output it identifies, or -1 when it does not apply. */
type Rule = (tx: TxSeen, isExchange?: (address: string) => boolean) => number;

/**
 * The script type of an address, from its form alone (no checksum check: the input validated it):
 * base58 `1…` (`m…`/`n…` on testnet) p2pkh, `3…` (`2…`) p2sh; bech32 with HRP `bc`, `tb` or `bcrt`:
 * witness v0 (`…1q`) with a 20-byte program p2wpkh, a 32-byte one p2wsh, witness v1 (`…1p`) with a
 * 32-byte program p2tr (so the 2-byte pay-to-anchor is `other`). Upper-case bech32 is accepted.
 */
export function addressType(address: string): AddressType {
  const first = address.charCodeAt(0);
  // Bech32 is all lower or all upper case; only an upper-case one pays for a copy.
  const a = first === 66 /* B */ || first === 84 /* T */ ? address.toLowerCase() : address;
  const hrp = a.startsWith('bc1') || a.startsWith('tb1') ? 3 : a.startsWith('bcrt1') ? 5 : 0;
  if (hrp > 0) {
    // HRP + separator, version, then 32 (p2wpkh) or 52 (32-byte programs) data chars + 6 checksum.
    const version = a[hrp];
    if (version === 'q' && a.length === hrp + 39) return 'p2wpkh';
    if (version === 'q' && a.length === hrp + 59) return 'p2wsh';
    if (version === 'p' && a.length === hrp + 59) return 'p2tr';
    return 'other';
  }
  switch (a[0]) {
    case '1':
    case 'm':
    case 'n':
      return 'p2pkh';
    case '3':
    case '2':
      return 'p2sh';
    default:
      return 'other';
  }
}

const ROUND_UNIT = 100_000; // 0.001 BTC

/**
 * Whether a value looks chosen by a person: a multiple of 0.001 BTC (10^5 sats) with at most three
 * significant digits — 1 BTC, 0.25 BTC, 0.693 BTC, 1.25 BTC, 917 BTC are round; 1.2345 BTC,
 * 12.345 BTC, 3.02775338 BTC and anything under 0.001 BTC are not. The digit cap makes the bar
 * grow with the value (a 100 BTC output must be a multiple of 1 BTC), so a remainder passes by
 * chance with a probability of at most 10^-5.
 */
export function isRound(sats: number): boolean {
  if (sats < ROUND_UNIT || sats % ROUND_UNIT !== 0) return false;
  let significand = sats / ROUND_UNIT;
  while (significand % 10 === 0) significand /= 10;
  return significand < 1000;
}

const paid = (o: TxOutput) => o.valueSats > 0;

/** All outputs but one pay a labelled exchange (deposits are payments): the remaining one is change. */
const exchange: Rule = (tx, isExchange) => {
  if (isExchange === undefined) return -1;
  // An exchange spending its own coins sends its change back to itself: then a labelled output
  // is as likely change as payment. Unknown input addresses leave that open, so the rule waits.
  for (const input of tx.inputs) if (input.address === null || isExchange(input.address)) return -1;
  let other = -1;
  for (let i = 0; i < tx.outputs.length; i++) {
    const o = tx.outputs[i]!;
    if (!paid(o) || (o.address !== null && isExchange(o.address))) continue;
    if (other >= 0) return -1;
    other = i;
  }
  return other;
};

/** Exactly one output pays back to an address among the inputs'. */
const addressReuse: Rule = (tx) => {
  let found = -1;
  for (let i = 0; i < tx.outputs.length; i++) {
    const o = tx.outputs[i]!;
    if (!paid(o) || o.address === null) continue;
    for (const input of tx.inputs) {
      if (input.address !== o.address) continue;
      if (found >= 0) return -1;
      found = i;
      break;
    }
  }
  return found;
};

/**
 * Every input has one known script type and exactly one output has it too. Every output's type
 * must be known as well: a P2PK, bare multisig or future-version output tells nothing about the
 * wallet that made it.
 */
const scriptType: Rule = (tx) => {
  let type: AddressType | null = null;
  for (const input of tx.inputs) {
    if (input.address === null) return -1;
    const t = addressType(input.address);
    if (t === 'other' || (type !== null && t !== type)) return -1;
    type = t;
  }
  if (type === null) return -1;
  let found = -1;
  for (let i = 0; i < tx.outputs.length; i++) {
    const o = tx.outputs[i]!;
    if (!paid(o)) continue;
    const t = o.address === null ? 'other' : addressType(o.address);
    if (t === 'other') return -1;
    if (t !== type) continue;
    if (found >= 0) return -1;
    found = i;
  }
  return found;
};

/**
 * BlockSci's "optimal change": change at least as large as some input means that input was not
 * needed, so only an output smaller than every input can be change. It applies when exactly one
 * output is, and another is larger than every input (all inputs were needed for it).
 */
const smallerThanInputs: Rule = (tx) => {
  if (tx.inputs.length === 0) return -1;
  let min = Infinity;
  let max = -Infinity;
  for (const input of tx.inputs) {
    if (input.valueSats === null) return -1;
    if (input.valueSats < min) min = input.valueSats;
    if (input.valueSats > max) max = input.valueSats;
  }
  let found = -1;
  let larger = false;
  for (let i = 0; i < tx.outputs.length; i++) {
    const v = tx.outputs[i]!.valueSats;
    if (v <= 0) continue;
    if (v > max) larger = true;
    else if (v < min) {
      if (found >= 0) return -1;
      found = i;
    }
  }
  return larger ? found : -1;
};

/** Exactly one output is not round ({@link isRound}) while the others are: it is the change. */
const roundAmount: Rule = (tx) => {
  let found = -1;
  for (let i = 0; i < tx.outputs.length; i++) {
    const v = tx.outputs[i]!.valueSats;
    if (v <= 0 || isRound(v)) continue;
    if (found >= 0) return -1;
    found = i;
  }
  return found;
};

/**
 * Evidence about who is who decides alone, the first that names an output: a deposit to a
 * labelled exchange is a payment by definition, and paying back an input's address is the sender
 * showing itself.
 */
const DECISIVE: ReadonlyArray<readonly [ChangeRule, Rule]> = [
  ['exchange', exchange],
  ['address-reuse', addressReuse],
];

/**
 * Guesses about how wallets behave, each broken by common wallets (mixed script types, non-optimal
 * coin selection, fiat-priced payments): they decide only when those that name an output name the
 * same one; the first in this order gives its name.
 */
const BEHAVIOURAL: ReadonlyArray<readonly [ChangeRule, Rule]> = [
  ['script-type', scriptType],
  ['smaller-than-inputs', smallerThanInputs],
  ['round-amount', roundAmount],
];

/**
 * How much of a transaction likely changed hands: the change heuristics of Meiklejohn et al. ("A
 * Fistful of Bitcoins") and BlockSci, each naming at most one output as the sender's change.
 *
 * Decisive, tried first, in this order (the first that names an output wins):
 * 1. `exchange` (only with `isExchange`): every output but one pays a labelled exchange, and no
 *    input does (an exchange's own change goes back to it); the remaining output is change.
 * 2. `address-reuse`: exactly one output pays an address that is also an input's.
 *
 * Behavioural, then, all tried; they decide only if every one that names an output names the same
 * (disagreement gives `none`), reported as the first in this order:
 * 3. `script-type`: all inputs share one script type ({@link addressType}) and exactly one output
 *    has it; the others have other known types.
 * 4. `smaller-than-inputs`: exactly one output is smaller than every input while another is larger
 *    than every input.
 * 5. `round-amount`: exactly one output is not round ({@link isRound}), the others are.
 *
 * Conservative: a rule that finds two candidates, or needs an input's address or value the input
 * did not send (null), does not apply. Zero-value outputs (OP_RETURN) are ignored, and an output
 * without an address (P2PK, bare multisig) counts as a payment but is never change. With fewer
 * than two paid outputs (a single output, a `partial` transaction) or no rule applying,
 * `changeRule` is `none` and `transferredSats` is `valueSats`. Pure; quadratic (inputs × outputs)
 * only in `address-reuse`, and allocation-free except for an upper-case bech32 address.
 */
export function analyzeChange(tx: TxSeen, isExchange?: (address: string) => boolean): ChangeAnalysis {
  let paidOutputs = 0;
  for (const o of tx.outputs) if (paid(o)) paidOutputs++;
  if (paidOutputs < 2) return none(tx);
  for (const [changeRule, rule] of DECISIVE) {
    const i = changeOutput(tx, rule(tx, isExchange));
    if (i >= 0) return found(tx, changeRule, i);
  }
  let changeRule: ChangeRule = 'none';
  let index = -1;
  for (const [name, rule] of BEHAVIOURAL) {
    const i = changeOutput(tx, rule(tx));
    if (i < 0 || i === index) continue;
    if (index >= 0) return none(tx);
    index = i;
    changeRule = name;
  }
  return index >= 0 ? found(tx, changeRule, index) : none(tx);
}

/** `i` when that output can be change (it has an address), else -1. */
const changeOutput = (tx: TxSeen, i: number) => (i >= 0 && tx.outputs[i]!.address !== null ? i : -1);

const none = (tx: TxSeen): ChangeAnalysis => ({
  transferredSats: tx.valueSats,
  changeRule: 'none',
  changeIndex: null,
});

const found = (tx: TxSeen, changeRule: ChangeRule, i: number): ChangeAnalysis => ({
  transferredSats: Math.max(0, tx.valueSats - tx.outputs[i]!.valueSats),
  changeRule,
  changeIndex: i,
});
