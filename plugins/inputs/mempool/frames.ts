import type { TxSeen } from '../../../src/index.js';
import { readTx } from './normalize.js';
import {
  parseBlockInterval,
  parseFees,
  parseMempoolVsize,
  parseProjectedBlocks,
  parseUsd,
  toStats,
} from './stats.js';
import { Check, field, isObject, type Path, type RejectReason } from './validate.js';

export type { RejectReason } from './validate.js';
export { PROJECTED_BLOCKS, type FrameEvent, type FrameSink } from './sink.js';
import { refuse, type FrameSink } from './sink.js';
import { connectBlock, projected, recentBlocks } from './blocks.js';
import { trackError, trackedTxs } from './tracked.js';
/** @deprecated the old name of {@link RejectReason}. */
export type RejectKind = RejectReason;

// Keys the server sends that carry nothing for Spout (protocol doc §3): ignored without a count.
const IGNORED = new Set([
  'pong',
  'backend',
  'backendInfo',
  'loadingIndicators',
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
  'utxoSpent',
  'rbfTransaction',
  'rbfInfo',
  'txReplaced',
  'tx',
  'address-transactions',
  'address-removed-transactions',
  'block-transactions',
  'track-addresses-error',
  'track-scriptpubkeys-error',
  'wallet-transactions',
  'donationConfirmed',
]);

const REMOVED: Path = (i) => `removed[${i}]`;
const MINED: Path = (i) => `mined[${i}]`;

/**
 * Handle one text frame from the server. A frame carries several message types as top-level
 * keys; they are handled in a fixed order: the tracked transactions' positions (`tracked-txs`,
 * see tracked.ts), replacements, added transactions, removals, the block with its mined txids,
 * then one `mempool.stats` if any stats key changed. Every value
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
      case 'da': {
        const interval = stat(key, value, parseBlockInterval);
        if (interval) sink.stats.blockIntervalMinutes = interval.value;
        break;
      }
      case 'blocks':
        recentBlocks(value, sink);
        break;
      case 'projected-block-transactions':
        projected(value, sink);
        break;
      case 'tracked-txs':
        trackedTxs(value, sink);
        break;
      case 'track-txs-error':
        trackError(value, sink);
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
  const floor = sink.interestFloor?.() ?? null;
  let skipped = 0;
  for (let i = 0; i < replaced.length; i++) replacement(replaced[i], i, replacedNow, sink, floor);
  for (let i = 0; i < added.length; i++) {
    if (floor !== null && below(added[i], floor)) skipped++;
    else seeTx(added[i], i, sink);
  }
  if (skipped > 0) sink.skipped?.(skipped);
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

/**
 * Whether a raw transaction moves at most `floor` sats, judged from its outputs alone before it is
 * read: true only when its txid has a txid's length and every output's value is a valid amount.
 * Anything else (false) goes through the full read, which refuses it with the reason.
 */
function below(raw: unknown, floor: number): boolean {
  if (!isObject(raw)) return false;
  const txid = field(raw, 'txid');
  const vout = field(raw, 'vout');
  if (typeof txid !== 'string' || txid.length !== 64 || !Array.isArray(vout) || vout.length === 0)
    return false;
  let sum = 0;
  for (let i = 0; i < vout.length; i++) {
    const o: unknown = vout[i];
    const v = isObject(o) ? field(o, 'value') : undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return false;
    sum += v;
  }
  return sum <= floor;
}

/**
 * `{replaced: txid, by: txid | full tx}`: refused whole when either side is bad. A replacement
 * below the interest floor is announced (`tx.replaced`) but not read.
 */
function replacement(
  raw: unknown,
  i: number,
  replacedNow: Set<string>,
  sink: FrameSink,
  floor: number | null,
): void {
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
  if (byTx && !sink.seen.has(byTxid) && !(floor !== null && below(byTx, floor))) {
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
