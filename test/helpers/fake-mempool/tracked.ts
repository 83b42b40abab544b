import type { ClientState } from './client.js';
import type { ResponseMap } from './frames.js';
import type { BlockChange, FakeState, MempoolChange } from './state.js';

/** The server's `MAX_TRACKED_TXS`. */
export const MAX_TRACKED_TXS = 100;

/** One `tracked-txs` entry (`TxTrackingInfo`, protocol doc §3.8), as a test pushes it. */
export interface TrackedInfo {
  position?: { block: number; vsize: number; [key: string]: unknown };
  cpfp?: Record<string, unknown>;
  replacedBy?: string;
  confirmed?: boolean;
  [key: string]: unknown;
}

const TXID = /^[a-fA-F0-9]{64}$/;

/**
 * `track-txs` (websocket-handler.ts): a non-array, or more than {@link MAX_TRACKED_TXS}, answers
 * `track-txs-error`, clears tracking and closes the connection (returns true). Otherwise the list
 * (invalid txids dropped silently, lower-cased) replaces the client's, `[]` stops, and the reply
 * lists each tracked tx in the mempool: `{confirmed: false, position}`.
 */
export function applyTrackTxs(
  msg: Record<string, unknown>,
  client: ClientState,
  state: FakeState,
  r: ResponseMap,
): boolean {
  const list = msg['track-txs'];
  if (list === undefined) return false;
  if (!Array.isArray(list) || list.length > MAX_TRACKED_TXS) {
    client.trackTxs = [];
    r['track-txs-error'] = JSON.stringify(
      Array.isArray(list)
        ? `too many txids requested, this connection supports tracking a maximum of ${MAX_TRACKED_TXS} transactions`
        : 'incorrect track-txs format',
    );
    return true;
  }
  const txids = list
    .filter((t): t is string => typeof t === 'string' && TXID.test(t))
    .map((t) => t.toLowerCase());
  client.trackTxs = txids;
  const reply: Record<string, TrackedInfo> = {};
  for (const txid of txids) {
    const tx = state.mempool.get(txid);
    if (tx)
      reply[txid] = { confirmed: false, position: tx.position ?? state.positionOf(tx.effectiveFeePerVsize) };
  }
  if (Object.keys(reply).length > 0) r['tracked-txs'] = JSON.stringify(reply);
  return false;
}

/** The entries of `updates` this client tracks, or undefined when none. */
export function trackedFor(client: ClientState, updates: Record<string, TrackedInfo>): string | undefined {
  const mine = Object.entries(updates).filter(([txid]) => client.trackTxs.includes(txid));
  return mine.length > 0 ? JSON.stringify(Object.fromEntries(mine)) : undefined;
}

/** On a block: `{confirmed: true}` for each tracked tx it mined. */
export function trackedOnBlock(client: ClientState, change: BlockChange): string | undefined {
  return trackedFor(client, Object.fromEntries(change.mined.map((t) => [t, { confirmed: true }])));
}

/** On a mempool change: `{replacedBy}` for each tracked tx replaced. */
export function trackedOnMempool(client: ClientState, change: MempoolChange): string | undefined {
  return trackedFor(
    client,
    Object.fromEntries(change.replaced.map((x) => [x.replaced, { replacedBy: x.by.txid }])),
  );
}
