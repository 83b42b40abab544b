/**
 * The one validation layer of the mempool input. Every value read from the server (live frames and
 * gap-recovery answers alike) goes through a {@link Check}: small typed readers that return the value
 * when it is plausible and otherwise record why it was refused (the first problem wins) and return a
 * harmless placeholder. The caller refuses the item when `check.failure` is set. Nothing here throws.
 *
 * Bounds (all inclusive):
 * - amount: integer satoshis, 0 … 21,000,000 BTC (2.1e15 sat);
 * - weight: integer weight units, 1 … 4,000,000 (a block's limit: no transaction is heavier);
 *   vsize: vB, > 0 … 1,000,000 (fractional in stripped forms);
 * - fee rate: sat/vB, finite, 0 … 10,000,000;
 * - count (transactions, vB or bytes of projected blocks, mempool size): finite, 0 … 1e12;
 * - price (USD per BTC): finite, at most 1e9 (≤ 0 means unavailable, as the server sends it);
 * - height: safe integer, 0 … 10,000,000; a jump from the known tip is further checked by {@link TipGuard};
 * - time: unix seconds, 2009-01-01 … now + 2 h (block times may run 2 h ahead; the clock is injected);
 * - id (txid, block hash): 64 hex digits, read lower-cased;
 * - address: 1 … 128 letters and digits;
 * - other fields (input sequence and output index: u32; flags: safe integer ≥ 0; projected-block index).
 */

export * from './limits.js';
import {
  FUTURE_SLACK_MS,
  MAX_COUNT,
  MAX_HEIGHT,
  MAX_PRICE,
  MAX_RATE,
  MAX_SATS,
  MAX_VSIZE,
  MAX_WEIGHT,
  MIN_TIME,
  type Refusal,
  type RejectReason,
} from './limits.js';
import { hex64, isAddressText } from './text.js';

const MAX_U32 = 0xffffffff;

export type Raw = Record<string, unknown>;
const EMPTY: Raw = Object.freeze(Object.create(null) as Raw);
const NONE: readonly unknown[] = Object.freeze([]);

export const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A field of a parsed JSON object. JSON.parse defines every key as an own data property (even
 * `__proto__`, which then sets no prototype), and the input reads only fixed names that
 * Object.prototype does not have (`txid`, `fee`, `vout`, …; never `__proto__`, `constructor` or
 * `toString`), so a plain read finds only what the frame sent: keys under other names change
 * nothing. (An `Object.hasOwn` per field would cost a third of the validation time.)
 */
export function field(o: Raw, key: string): unknown {
  return o[key];
}

/** A short, log-safe rendering of a bad value. */
export function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v);
  if (typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

export const isAmount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_SATS;
export const isId = (v: unknown): v is string => typeof v === 'string' && hex64(v) !== 0;
export const isHeight = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_HEIGHT;
const finiteIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
/** Unix seconds within 2009-01-01 … now + 2 h. */
export const isTime = (v: unknown, nowMs: number): v is number =>
  finiteIn(v, MIN_TIME, (nowMs + FUTURE_SLACK_MS) / 1000);

/**
 * Where a value sits, for the log line: a string, or a function of the check's current list index
 * (`Check.at`), so that paths inside loops cost nothing unless a value is bad.
 */
export type Path = string | ((at: number) => string);

/**
 * Reads values of one item (a transaction, a block, a stats message) and remembers the first one
 * that is not plausible. Each reader returns the value (normalized: ids lower-cased, times as ISO
 * strings) or, after a failure, a placeholder the caller must not use: check `failure` before
 * building anything from what was read.
 */
export class Check {
  failure: Refusal | null = null;
  /** The index of the list entry being read, handed to path functions. */
  at = 0;

  /** `where` prefixes every path in the explanation (e.g. `block`); built only on failure when a function. */
  constructor(
    readonly now: () => number,
    readonly where: string | (() => string) = '',
  ) {}

  get ok(): boolean {
    return this.failure === null;
  }

  /** Record a refusal (only the first one is kept). */
  fail(reason: RejectReason, path: Path, what: string): void {
    if (this.failure) return;
    const p = typeof path === 'string' ? path : path(this.at);
    const w = typeof this.where === 'string' ? this.where : this.where();
    const at = w && p ? `${w}${p.startsWith('[') ? '' : '.'}${p}` : w || p;
    this.failure = { reason, why: at ? `${at}: ${what}` : what };
  }

  /** The refusal recorded so far, cleared so that the same check can read the next item. */
  take(): Refusal | null {
    const failure = this.failure;
    this.failure = null;
    return failure;
  }

  private bad<T>(reason: RejectReason, path: Path, v: unknown, expected: string, placeholder: T): T {
    this.fail(reason, path, `${describe(v)} is not ${expected}`);
    return placeholder;
  }

  object(v: unknown, path: Path): Raw {
    return isObject(v) ? v : this.bad('bad-shape', path, v, 'an object', EMPTY);
  }

  /** An array of at least `min` and at most `max` entries. */
  list(v: unknown, path: Path, min = 0, max = Number.MAX_SAFE_INTEGER): readonly unknown[] {
    if (!Array.isArray(v)) return this.bad('bad-shape', path, v, 'an array', NONE);
    if (v.length < min || v.length > max)
      return this.bad('bad-shape', path, v, `an array of ${min}…${max} entries`, NONE);
    return v;
  }

  /** A txid or block hash: 64 hex digits, returned lower-cased. */
  id(v: unknown, path: Path): string {
    const kind = typeof v === 'string' ? hex64(v) : 0;
    if (kind === 0) return this.bad('bad-id', path, v, '64 hex digits', '');
    return kind === 1 ? (v as string) : (v as string).toLowerCase();
  }

  /** Whole satoshis, 0 … 21 million BTC. */
  amount(v: unknown, path: Path): number {
    return isAmount(v) ? v : this.bad('bad-amount', path, v, 'whole satoshis in 0…2.1e15', 0);
  }

  /** Virtual size in vB (> 0, at most a block's 1,000,000 vB; may be fractional). */
  vsize(v: unknown, path: Path): number {
    return finiteIn(v, Number.MIN_VALUE, MAX_VSIZE)
      ? v
      : this.bad('bad-size', path, v, `a size in vB in (0, ${MAX_VSIZE}]`, 1);
  }

  /** Weight in WU: an integer 1 … 4,000,000. */
  weight(v: unknown, path: Path): number {
    return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_WEIGHT
      ? (v as number)
      : this.bad('bad-size', path, v, `a weight in 1…${MAX_WEIGHT} WU`, 1);
  }

  /** A fee rate in sat/vB. */
  rate(v: unknown, path: Path): number {
    return finiteIn(v, 0, MAX_RATE) ? v : this.bad('bad-rate', path, v, `a fee rate in 0…${MAX_RATE}`, 0);
  }

  /** A count or size of a whole (transactions, vB, bytes); fractional allowed (vB of a projected block). */
  count(v: unknown, path: Path): number {
    return finiteIn(v, 0, MAX_COUNT) ? v : this.bad('bad-count', path, v, `a count in 0…${MAX_COUNT}`, 0);
  }

  /** A price of one BTC; ≤ 0 is passed through (the server's "unavailable"). */
  price(v: unknown, path: Path): number {
    return finiteIn(v, -Number.MAX_VALUE, MAX_PRICE)
      ? v
      : this.bad('bad-price', path, v, `a price of at most ${MAX_PRICE}`, 0);
  }

  /** A block height: a safe integer 0 … 10,000,000. */
  height(v: unknown, path: Path): number {
    return isHeight(v) ? v : this.bad('bad-height', path, v, `a height in 0…${MAX_HEIGHT}`, 0);
  }

  /** Unix seconds between 2009 and now + 2 h, returned as an ISO 8601 string. */
  time(v: unknown, path: Path): string {
    const now = this.now();
    if (!isTime(v, now)) return this.bad('bad-time', path, v, 'a unix time between 2009 and now + 2 h', '');
    return isoSeconds(v);
  }

  /** An unsigned 32-bit integer (input sequence, output index). */
  u32(v: unknown, path: Path): number {
    return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_U32
      ? (v as number)
      : this.bad('bad-field', path, v, 'an unsigned 32-bit integer', 0);
  }

  /** A non-negative safe integer (a bitfield such as the server's transaction flags, up to ~2^45). */
  flags(v: unknown, path: Path): number {
    return Number.isSafeInteger(v) && (v as number) >= 0
      ? (v as number)
      : this.bad('bad-field', path, v, 'a non-negative integer', 0);
  }

  /** An integer in 0 … max-1 (e.g. a projected-block index). */
  index(v: unknown, path: Path, max: number): number {
    return Number.isInteger(v) && (v as number) >= 0 && (v as number) < max
      ? (v as number)
      : this.bad('bad-field', path, v, `an index in 0…${max - 1}`, 0);
  }

  /** An address (letters and digits, 1 … 128); absent or null: null. */
  address(v: unknown, path: Path): string | null {
    if (v === undefined || v === null) return null;
    return typeof v === 'string' && isAddressText(v)
      ? v
      : this.bad('bad-address', path, v, 'an address of 1…128 letters and digits', null);
  }
}

// Transactions arrive in bursts that share their first-seen second: format each second once.
let lastSecond = Number.NaN;
let lastIso = '';
/** ISO 8601 of unix seconds that passed {@link isTime}. */
function isoSeconds(seconds: number): string {
  if (seconds !== lastSecond) {
    lastSecond = seconds;
    lastIso = new Date(seconds * 1000).toISOString();
  }
  return lastIso;
}

/** One block a jump is measured from: its height, its own timestamp (unix s) and when it was learned (ms). */
interface Tip {
  height: number;
  time: number;
  learnedAt: number;
}

/** Blocks a jump from the tip may span at once, over and above the time allowance. */
export const JUMP_BASE = 1_008; // a week of blocks
/** The time allowance: one block every 2 minutes, five times Bitcoin's target rate. */
export const JUMP_SECONDS_PER_BLOCK = 120;

/**
 * The known chain tip, and whether a new block's height is plausible from it. A block at or below
 * the tip is plausible (a reorg, another server); above it, the jump may be at most
 * {@link JUMP_BASE} plus one block per 2 minutes of the time that passed, by the blocks' own timestamps
 * or by the local clock since the tip was learned, whichever is longer (a long disconnection). A
 * height beyond that is refused as `implausible-height` instead of being believed (and, say, logged
 * as millions of missed blocks). The tip follows the latest accepted block, so a wrong tip heals at
 * the next real one.
 */
export interface TipGuard {
  height(): number | null;
  /** Null when plausible, else the refusal. `time` is the block's timestamp (unix s). */
  check(height: number, time: number): Refusal | null;
  set(height: number, time: number): void;
}

export function createTipGuard(now: () => number): TipGuard {
  let tip: Tip | null = null;
  return {
    height: () => tip?.height ?? null,
    check(height, time) {
      if (tip === null || height <= tip.height) return null;
      const seconds = Math.max(time - tip.time, (now() - tip.learnedAt) / 1000, 0);
      const allowed = JUMP_BASE + Math.floor(seconds / JUMP_SECONDS_PER_BLOCK);
      if (height - tip.height <= allowed) return null;
      return {
        reason: 'implausible-height',
        why: `height ${height} is ${height - tip.height} blocks above the tip ${tip.height} (at most ${allowed} plausible)`,
      };
    },
    set(height, time) {
      tip = { height, time, learnedAt: now() };
    },
  };
}
