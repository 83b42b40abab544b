import type { TxSeen } from '../../../src/index.js';
import { readCompressedTx } from './normalize.js';
import { PROJECTED_BLOCKS, refuse, type FrameSink } from './sink.js';
import { Check, field, isObject } from './validate.js';

// The block messages of a frame: a connected block, the recent blocks, a projected block's
// full transaction list.

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

export function connectBlock(value: unknown, mined: string[], sink: FrameSink): void {
  const c = new Check(sink.now, 'block');
  const b = readBlockHeader(value, c);
  if (!b) return refuse(sink, c.failure);
  const implausible = sink.tip?.check(b.height, b.timestamp) ?? null;
  if (implausible) return refuse(sink, { reason: implausible.reason, why: `block: ${implausible.why}` });
  sink.tip?.set(b.height, b.timestamp);
  sink.emit('block.connected', { height: b.height, hash: b.id, time: b.time, txids: mined });
}

export function recentBlocks(value: unknown, sink: FrameSink): void {
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
export function projected(value: unknown, sink: FrameSink): void {
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
