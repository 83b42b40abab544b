import type { LRUCache } from 'lru-cache';
import type { EventMap, TxSeen } from '../../../src/index.js';
import { readCompressedTx, readTx } from './normalize.js';
import {
  parseFees,
  parseMempoolVsize,
  parseProjectedBlocks,
  parseUsd,
  toStats,
  type StatsState,
} from './stats.js';
import {
  Check,
  field,
  isObject,
  type Path,
  type Refusal,
  type RejectReason,
  type TipGuard,
} from './validate.js';

export type { RejectReason } from './validate.js';
/** @deprecated the old name of {@link RejectReason}. */
export type RejectKind = RejectReason;

/** Projected blocks a client may track (the server's `MEMPOOL_BLOCKS_AMOUNT`). */
export const PROJECTED_BLOCKS = 8;

/** What the frame handler needs from the input. */
/** What frames become: the events the input publishes apart from its own `input.status`. */
export type FrameEvent = 'tx.seen' | 'tx.replaced' | 'tx.removed' | 'block.connected' | 'mempool.stats';

export interface FrameSink {
  emit<K extends FrameEvent>(type: K, data: EventMap[K]): void;
  /** Count and log a refused frame or item; the reason is a metrics label. */
  reject(reason: RejectReason, why: string): void;
  now(): number;
  /** Seen txids → whether they signalled RBF. A txid in it is never emitted again. */
  seen: LRUCache<string, boolean>;
  stats: StatsState;
  /**
   * The known chain tip: a block or recent-block height too far above it is refused as
   * implausible. Without one, heights are only checked on their own.
   */
  tip?: TipGuard;
  /** The full transaction list of projected block `index` arrived (gap recovery), validated. */
  onProjectedBlock(index: number, txs: TxSeen[]): void;
  /**
   * The recent blocks (`blocks`), oldest first, as the server reports them on `want`; called
   * before the tip moves to the newest of them.
   */
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
  // The answer to Spout's own `track-rbf`: replacements are read from mempool-transactions.replaced.
  'rbfLatest',
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

const REMOVED: Path = (i) => `removed[${i}]`;
const MINED: Path = (i) => `mined[${i}]`;

const refuse = (sink: FrameSink, r: Refusal | null): void => {
  if (r) sink.reject(r.reason, r.why);
};

/**
 * Handle one text frame from the server. A frame carries several message types as top-level
 * keys; they are handled in a fixed order: replacements, added transactions, removals, the
 * block with its mined txids, then one `mempool.stats` if any stats key changed. Every value
 * read goes through validate.ts: a bad one refuses its item (a transaction, a block, a stats
 * message) or the whole frame, counted per reason through `sink.reject`, and the rest of the
 * frame still counts. Nothing here throws: an unexpected error is caught and counted as
 * `internal` (a bug to report, not a way of refusing input).
 */
export function handleFrame(text: string, maxBytes: number, sink: FrameSink): void {
  try {
    handle(text, maxBytes, sink);
  } catch (error) {
    sink.reject('internal', `frame handler error: ${(error as Error)?.message ?? String(error)}`);
  }
}

function handle(text: string, maxBytes: number, sink: FrameSink): void {
  // Characters undercount bytes only for non-ASCII text, so the byte count is needed only then.
  if (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
    return sink.reject('oversize', `frame of ${Buffer.byteLength(text)} bytes (maxFrameBytes ${maxBytes})`);
  }
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return sink.reject('invalid-json', `frame is not JSON: ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (!isObject(frame)) return sink.reject('not-object', 'frame is not a JSON object');

  let statsChanged = false;
  /** A stats message read through its parser: the value, or null when refused (and counted). */
  const stat = <T>(key: string, value: unknown, parse: (v: unknown, c: Check) => T): { value: T } | null => {
    const c = new Check(sink.now, key);
    const parsed = parse(value, c);
    if (!c.ok) return (refuse(sink, c.failure), null);
    statsChanged = true;
    return { value: parsed };
  };
  for (const key of Object.keys(frame)) {
    const value = frame[key];
    switch (key) {
      case 'mempool-transactions':
      case 'block':
        break; // handled below, in order
      case 'mempool-blocks': {
        const blocks = stat(key, value, parseProjectedBlocks);
        if (blocks) sink.stats.projectedBlocks = blocks.value;
        break;
      }
      case 'fees': {
        const fees = stat(key, value, parseFees);
        if (fees) sink.stats.fees = fees.value;
        break;
      }
      case 'mempoolInfo': {
        const vsize = stat(key, value, parseMempoolVsize);
        if (vsize) sink.stats.mempoolVsize = vsize.value;
        break;
      }
      case 'conversions': {
        const usd = stat(key, value, parseUsd);
        if (usd) sink.stats.usdPrice = usd.value ?? null;
        break;
      }
      case 'blocks':
        recentBlocks(value, sink);
        break;
      case 'projected-block-transactions':
        projected(value, sink);
        break;
      default:
        if (!IGNORED.has(key)) sink.reject('unknown-key', `unknown key ${JSON.stringify(key.slice(0, 40))}`);
    }
  }
  const delta = field(frame, 'mempool-transactions');
  const mined = delta !== undefined ? mempoolDelta(delta, sink) : null;
  const block = field(frame, 'block');
  if (block !== undefined) connectBlock(block, mined ?? [], sink);
  if (statsChanged) {
    const stats = toStats(sink.stats);
    if (stats) sink.emit('mempool.stats', stats);
  }
}

/** A list of the delta: absent means empty; anything but an array refuses the delta. */
function deltaList(delta: Record<string, unknown>, key: string, c: Check): readonly unknown[] {
  const v = field(delta, key);
  return v === undefined ? [] : c.list(v, key);
}

/** Emit the delta's events; returns its valid `mined` txids (block frames), or null when refused. */
function mempoolDelta(value: unknown, sink: FrameSink): string[] | null {
  const c = new Check(sink.now, 'mempool-transactions');
  const delta = c.object(value, '');
  const added = deltaList(delta, 'added', c);
  const removed = deltaList(delta, 'removed', c);
  const minedList = deltaList(delta, 'mined', c);
  const replaced = deltaList(delta, 'replaced', c);
  if (!c.ok) return (refuse(sink, c.failure), null);

  const replacedNow = new Set<string>();
  for (let i = 0; i < replaced.length; i++) replacement(replaced[i], i, replacedNow, sink);
  for (let i = 0; i < added.length; i++) seeTx(added[i], i, sink);
  // Ids one by one: a bad one is refused alone (`take` clears the check for the next).
  for (let i = 0; i < removed.length; i++) {
    c.at = i;
    const txid = c.id(removed[i], REMOVED);
    if (!c.ok) refuse(sink, c.take());
    else if (!replacedNow.has(txid)) sink.emit('tx.removed', { txid, reason: 'unknown' });
  }
  const mined: string[] = [];
  for (let i = 0; i < minedList.length; i++) {
    c.at = i;
    const txid = c.id(minedList[i], MINED);
    if (c.ok) mined.push(txid);
    else refuse(sink, c.take());
  }
  return mined;
}

/** `{replaced: txid, by: txid | full tx}`: refused whole when either side is bad. */
function replacement(raw: unknown, i: number, replacedNow: Set<string>, sink: FrameSink): void {
  const where = `mempool-transactions.replaced[${i}]`;
  const c = new Check(sink.now, where);
  const r = c.object(raw, '');
  const old = c.id(field(r, 'replaced'), 'replaced');
  const by = field(r, 'by');
  const byTx = isObject(by) ? by : null;
  const byTxid = c.id(byTx ? field(byTx, 'txid') : by, byTx ? 'by.txid' : 'by');
  if (!c.ok) return refuse(sink, c.failure);
  // The replacement in full: read unless already seen (then only its txid is needed).
  let tx: TxSeen | null = null;
  if (byTx && !sink.seen.has(byTxid)) {
    const t = new Check(sink.now, `${where}.by`);
    tx = readTx(byTx, t);
    if (!tx || !t.ok) return refuse(sink, t.failure);
  }
  replacedNow.add(old);
  // Full RBF: the replaced transaction did not signal (BIP 125); unknown when it was never seen.
  const signalled = sink.seen.peek(old);
  sink.emit('tx.replaced', { txid: old, byTxid, fullRbf: signalled === false });
  if (tx) {
    sink.seen.set(tx.txid, tx.rbfSignaling);
    sink.emit('tx.seen', tx);
  }
}

function seeTx(raw: unknown, i: number, sink: FrameSink): void {
  // Sent again (after a reconnect, or as a replacement and as added): emitted once, not re-read.
  // (Only valid txids are ever in `seen`: no need to validate this one first.)
  if (isObject(raw)) {
    const txid = field(raw, 'txid');
    if (typeof txid === 'string' && sink.seen.has(txid.toLowerCase())) return;
  }
  const c = new Check(sink.now, () => `mempool-transactions.added[${i}]`);
  const tx = readTx(raw, c);
  if (!tx || !c.ok) return refuse(sink, c.failure);
  sink.seen.set(tx.txid, tx.rbfSignaling);
  sink.emit('tx.seen', tx);
}

/** A block as `block` and `blocks` carry it (BlockExtended): only id, height and timestamp are read. */
interface BlockHeader {
  id: string;
  height: number;
  timestamp: number;
  time: string;
}

/** The header of a block at `at` (`[3]` in a list), or null when a value is bad. */
function readBlockHeader(value: unknown, c: Check, at = ''): BlockHeader | null {
  const path = (key: string) => (at ? `${at}.${key}` : key);
  const b = c.object(value, at);
  const id = c.id(field(b, 'id'), path('id'));
  const height = c.height(field(b, 'height'), path('height'));
  const timestamp = field(b, 'timestamp');
  const time = c.time(timestamp, path('timestamp'));
  return c.ok ? { id, height, timestamp: timestamp as number, time } : null;
}

function connectBlock(value: unknown, mined: string[], sink: FrameSink): void {
  const c = new Check(sink.now, 'block');
  const b = readBlockHeader(value, c);
  if (!b) return refuse(sink, c.failure);
  const implausible = sink.tip?.check(b.height, b.timestamp) ?? null;
  if (implausible) return refuse(sink, { reason: implausible.reason, why: `block: ${implausible.why}` });
  sink.tip?.set(b.height, b.timestamp);
  sink.emit('block.connected', { height: b.height, hash: b.id, time: b.time, txids: mined });
}

function recentBlocks(value: unknown, sink: FrameSink): void {
  const c = new Check(sink.now, 'blocks');
  const list = c.list(value, '');
  if (!c.ok) return refuse(sink, c.failure);
  const accepted: BlockHeader[] = [];
  for (let i = 0; i < list.length; i++) {
    const b = readBlockHeader(list[i], c, `[${i}]`);
    if (!b || !c.ok) {
      refuse(sink, c.take());
      continue;
    }
    const implausible = sink.tip?.check(b.height, b.timestamp) ?? null;
    if (implausible) refuse(sink, { reason: implausible.reason, why: `blocks[${i}]: ${implausible.why}` });
    else accepted.push(b);
  }
  accepted.sort((a, b) => a.height - b.height);
  sink.onRecentBlocks(accepted.map((b) => b.height));
  const newest = accepted.at(-1);
  if (newest) sink.tip?.set(newest.height, newest.timestamp);
}

/**
 * `projected-block-transactions`: a full list (`blockTransactions`, the answer to
 * `track-mempool-block`, read by gap recovery) or a `delta` (not read). Each entry is validated;
 * bad ones are refused and the rest handed on. An answer refused whole (once its index is known)
 * still reports its block, with no transactions, so that recovery moves on instead of waiting.
 */
function projected(value: unknown, sink: FrameSink): void {
  const c = new Check(sink.now, 'projected-block-transactions');
  const p = c.object(value, '');
  const index = c.index(field(p, 'index'), 'index', PROJECTED_BLOCKS);
  if (!c.ok) return refuse(sink, c.failure);
  const full = field(p, 'blockTransactions');
  if (full === undefined && isObject(field(p, 'delta'))) return; // a delta: not read
  const list =
    full === undefined
      ? (c.fail('bad-shape', '', 'neither blockTransactions nor delta is sent'), [])
      : c.list(full, 'blockTransactions');
  if (!c.ok) return (refuse(sink, c.failure), sink.onProjectedBlock(index, []));
  const txs: TxSeen[] = [];
  const e = new Check(sink.now, 'projected-block-transactions.blockTransactions');
  for (let i = 0; i < list.length; i++) {
    e.at = i;
    const tx = readCompressedTx(list[i], e);
    if (tx && e.ok) txs.push(tx);
    else refuse(sink, e.take());
  }
  sink.onProjectedBlock(index, txs);
}
