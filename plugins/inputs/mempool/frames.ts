import type { LRUCache } from 'lru-cache';
import type { EventMap, EventType, TxSeen } from '../../../src/bus/events.js';
import { normalizeTx } from './normalize.js';
import {
  parseFees,
  parseMempoolVsize,
  parseProjectedBlocks,
  parseUsd,
  toStats,
  type StatsState,
} from './stats.js';

/** Kinds of bad input, counted per kind (a metrics label). */
export type RejectKind = 'invalid-json' | 'not-object' | 'oversize' | 'bad-tx' | 'bad-field' | 'unknown-key';

/** A projected-block transaction as the server compresses it: [txid, fee, vsize, value, rate, flags, time]. */
export type CompressedTx = [string, number, number, number, number, number, number, ...unknown[]];

/** What the frame handler needs from the input. */
export interface FrameSink {
  emit<K extends EventType>(type: K, data: EventMap[K]): void;
  reject(kind: RejectKind, why: string): void;
  now(): number;
  /** Seen txids → whether they signalled RBF. A txid in it is never emitted again. */
  seen: LRUCache<string, boolean>;
  stats: StatsState;
  /** The full transaction list of projected block `index` arrived (gap recovery). */
  onProjectedBlock(index: number, txs: CompressedTx[]): void;
  /** The recent blocks (`blocks`), oldest first, as the server reports them on `want`. */
  onRecentBlocks(heights: number[]): void;
}

// Keys the server sends that carry nothing for Spout (protocol doc §3): ignored without a count.
const IGNORED = new Set([
  'pong',
  'backend',
  'backendInfo',
  'loadingIndicators',
  'da',
  'vBytesPerSecond',
  'transactions',
  'rbfSummary',
  'rbfLatestSummary',
  'tomahawk',
  'accelerations',
  'live-2h-chart',
  'txPosition',
  'txConfirmed',
  'mempool-txids',
  'stratumJob',
  'stratumJobs',
  'tracked-txs',
  'utxoSpent',
  'rbfTransaction',
  'rbfInfo',
  'txReplaced',
  'tx',
  'address-transactions',
  'address-removed-transactions',
  'block-transactions',
  'track-txs-error',
  'track-addresses-error',
  'track-scriptpubkeys-error',
  'wallet-transactions',
  'donationConfirmed',
]);
const HASH = /^[0-9a-fA-F]{64}$/;

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Handle one text frame from the server. A frame carries several message types as top-level
 * keys; they are handled in a fixed order: replacements, added transactions, removals, the
 * block with its mined txids, then one `mempool.stats` if any stats key changed. Nothing here
 * throws: bad input is refused through `sink.reject` and the rest of the frame still counts.
 */
export function handleFrame(text: string, maxBytes: number, sink: FrameSink): void {
  // Characters undercount bytes only for non-ASCII text, so the byte count is needed only then.
  if (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
    return sink.reject('oversize', `frame of ${Buffer.byteLength(text)} bytes (maxFrameBytes ${maxBytes})`);
  }
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return sink.reject('invalid-json', `frame is not JSON: ${text.slice(0, 40)}`);
  }
  if (!isObject(frame)) return sink.reject('not-object', 'frame is not a JSON object');

  let statsChanged = false;
  for (const key of Object.keys(frame)) {
    const value = frame[key];
    switch (key) {
      case 'mempool-transactions':
      case 'block':
        break; // handled below, in order
      case 'mempool-blocks': {
        const blocks = parseProjectedBlocks(value);
        if (blocks) ((sink.stats.projectedBlocks = blocks), (statsChanged = true));
        else sink.reject('bad-field', 'mempool-blocks has the wrong shape');
        break;
      }
      case 'fees': {
        const fees = parseFees(value);
        if (fees) ((sink.stats.fees = fees), (statsChanged = true));
        else sink.reject('bad-field', 'fees has the wrong shape');
        break;
      }
      case 'mempoolInfo': {
        const vsize = parseMempoolVsize(value);
        if (vsize !== null) ((sink.stats.mempoolVsize = vsize), (statsChanged = true));
        else sink.reject('bad-field', 'mempoolInfo has the wrong shape');
        break;
      }
      case 'conversions': {
        const usd = parseUsd(value);
        if (usd !== undefined) ((sink.stats.usdPrice = usd), (statsChanged = true));
        else sink.reject('bad-field', 'conversions has the wrong shape');
        break;
      }
      case 'blocks':
        recentBlocks(value, sink);
        break;
      case 'projected-block-transactions':
        projected(value, sink);
        break;
      default:
        if (!IGNORED.has(key)) sink.reject('unknown-key', `unknown key "${key.slice(0, 40)}"`);
    }
  }
  const delta = frame['mempool-transactions'];
  const mined = delta !== undefined ? mempoolDelta(delta, sink) : null;
  if (frame.block !== undefined) block(frame.block, mined ?? [], sink);
  if (statsChanged) {
    const stats = toStats(sink.stats);
    if (stats) sink.emit('mempool.stats', stats);
  }
}

/** Emit the delta's events; returns its `mined` txids (block frames), or null when malformed. */
function mempoolDelta(value: unknown, sink: FrameSink): string[] | null {
  if (!isObject(value)) return (sink.reject('bad-field', 'mempool-transactions is not an object'), null);
  const { added = [], removed = [], mined = [], replaced = [] } = value;
  if (![added, removed, mined, replaced].every(Array.isArray)) {
    return (sink.reject('bad-field', 'mempool-transactions lists are not arrays'), null);
  }
  const replacedNow = new Set<string>();
  for (const r of replaced as unknown[]) {
    if (!isObject(r) || typeof r.replaced !== 'string' || !HASH.test(r.replaced)) {
      sink.reject('bad-field', 'a replaced entry has no valid txid');
      continue;
    }
    const by = typeof r.by === 'string' ? r.by : isObject(r.by) ? r.by.txid : undefined;
    if (typeof by !== 'string' || !HASH.test(by)) {
      sink.reject('bad-field', 'a replaced entry has no valid replacement');
      continue;
    }
    const old = r.replaced.toLowerCase();
    replacedNow.add(old);
    // Full RBF: the replaced transaction did not signal (BIP 125); unknown when it was never seen.
    const signalled = sink.seen.peek(old);
    sink.emit('tx.replaced', { txid: old, byTxid: by.toLowerCase(), fullRbf: signalled === false });
    if (isObject(r.by)) seeTx(r.by, sink);
  }
  for (const raw of added as unknown[]) seeTx(raw, sink);
  for (const txid of removed as unknown[]) {
    if (typeof txid !== 'string' || !HASH.test(txid)) {
      sink.reject('bad-field', 'a removed txid is not 64 hex digits');
      continue;
    }
    if (!replacedNow.has(txid.toLowerCase()))
      sink.emit('tx.removed', { txid: txid.toLowerCase(), reason: 'unknown' });
  }
  return (mined as unknown[])
    .filter((t): t is string => typeof t === 'string' && HASH.test(t))
    .map((t) => t.toLowerCase());
}

function seeTx(raw: unknown, sink: FrameSink): void {
  const txid = isObject(raw) && typeof raw.txid === 'string' ? raw.txid.toLowerCase() : null;
  if (txid !== null && sink.seen.has(txid)) return;
  const result = normalizeTx(raw, sink.now);
  if (!result.ok) return sink.reject(result.kind, result.why);
  sink.seen.set(result.tx.txid, result.tx.rbfSignaling);
  sink.emit('tx.seen', result.tx);
}

function block(value: unknown, mined: string[], sink: FrameSink): void {
  if (
    !isObject(value) ||
    typeof value.id !== 'string' ||
    !HASH.test(value.id) ||
    !Number.isSafeInteger(value.height) ||
    typeof value.timestamp !== 'number'
  ) {
    return sink.reject('bad-field', 'block has the wrong shape');
  }
  sink.emit('block.connected', {
    height: value.height as number,
    hash: value.id.toLowerCase(),
    time: new Date(value.timestamp * 1000).toISOString(),
    txids: mined,
  });
}

function recentBlocks(value: unknown, sink: FrameSink): void {
  if (!Array.isArray(value)) return sink.reject('bad-field', 'blocks is not an array');
  const heights = value
    .filter(isObject)
    .map((b) => b.height)
    .filter((h): h is number => Number.isSafeInteger(h));
  sink.onRecentBlocks(heights.sort((a, b) => a - b));
}

function projected(value: unknown, sink: FrameSink): void {
  if (!isObject(value) || !Number.isInteger(value.index))
    return sink.reject('bad-field', 'projected-block-transactions has the wrong shape');
  if (!Array.isArray(value.blockTransactions)) return; // a delta: only full lists are used (gap recovery)
  const txs = value.blockTransactions.filter(
    (t): t is CompressedTx =>
      Array.isArray(t) &&
      typeof t[0] === 'string' &&
      HASH.test(t[0]) &&
      t.slice(1, 7).every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0),
  );
  if (txs.length !== value.blockTransactions.length)
    sink.reject('bad-field', 'projected block transactions with the wrong shape');
  sink.onProjectedBlock(value.index as number, txs);
}

/** A `tx.seen` from a projected-block entry: no inputs or outputs, only what the list carries. */
export function fromCompressed(t: CompressedTx, now: number): TxSeen {
  const [txid, fee, vsize, value, , flags, time] = t;
  return {
    txid: txid.toLowerCase(),
    valueSats: value,
    feeSats: fee,
    vsize,
    feeRate: vsize > 0 ? fee / vsize : 0,
    inputs: [],
    outputs: [],
    // flags is a bitfield past 2^32: `%` keeps bit 0 where `&` would truncate.
    rbfSignaling: flags % 2 === 1,
    firstSeen: new Date(time > 0 ? time * 1000 : now).toISOString(),
    partial: true,
  };
}
