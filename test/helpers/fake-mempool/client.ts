import type { WebSocket } from 'ws';
import type { ResponseMap } from './frames.js';
import { MEMPOOL_BLOCKS_AMOUNT } from './projected.js';
import type { FakeState } from './state.js';
import { applyTrackTxs } from './tracked.js';
import type { Subscriptions } from './types.js';

/** Valid `want` names (websocket-handler.ts `wantable`). */
export const WANTABLE = ['blocks', 'mempool-blocks', 'live-2h-chart', 'stats', 'tomahawk'] as const;

/** One connection and its subscriptions. */
export interface ClientState {
  id: number;
  ws: WebSocket;
  want: Set<string>;
  trackMempool: boolean;
  trackMempoolTxids: boolean;
  trackRbf: 'all' | 'fullRbf' | null;
  trackMempoolBlock: number | null;
  /** The txids of `track-txs` (lower-cased), [] when none. */
  trackTxs: string[];
  /** Receipt times of recent messages, for the rate limit. */
  stamps: number[];
}

/** A fresh connection with no subscriptions. */
export function newClient(id: number, ws: WebSocket): ClientState {
  return {
    id,
    ws,
    want: new Set(),
    trackMempool: false,
    trackMempoolTxids: false,
    trackRbf: null,
    trackMempoolBlock: null,
    trackTxs: [],
    stamps: [],
  };
}

/** The public view of a client's subscriptions. */
export function subscriptionsOf(client: ClientState | undefined): Subscriptions {
  return {
    want: WANTABLE.filter((w) => client?.want.has(w)),
    trackMempool: client?.trackMempool ?? false,
    trackRbf: client?.trackRbf ?? null,
    trackMempoolBlock: client?.trackMempoolBlock ?? null,
  };
}

/** What one inbound message produces: the init frame (sent first) and one combined response. */
export interface Handled {
  init?: string;
  response: ResponseMap;
  /** Close the connection after sending the response (`track-txs-error`). */
  close?: true;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `want` replaces the set; returns the names newly added. Non-array `data` is ignored, like the server. */
function applyWant(msg: Record<string, unknown>, client: ClientState): Set<string> {
  const added = new Set<string>();
  if (msg.action !== 'want' || !Array.isArray(msg.data)) return added;
  const data: unknown[] = msg.data;
  for (const name of WANTABLE) {
    const wants = data.includes(name);
    if (wants && !client.want.has(name)) added.add(name);
    if (wants) client.want.add(name);
    else client.want.delete(name);
  }
  return added;
}

function applyMempoolBlock(
  msg: Record<string, unknown>,
  client: ClientState,
  state: FakeState,
  r: ResponseMap,
) {
  const index = msg['track-mempool-block'];
  if (index === undefined) return;
  if (typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < MEMPOOL_BLOCKS_AMOUNT) {
    client.trackMempoolBlock = index;
    r['projected-block-transactions'] = JSON.stringify({
      index,
      sequence: state.sequence(),
      blockTransactions: state.projected.get(index),
    });
  } else {
    client.trackMempoolBlock = null;
  }
}

function applyRbf(msg: Record<string, unknown>, client: ClientState, state: FakeState, r: ResponseMap) {
  const mode = msg['track-rbf'];
  if (mode === undefined) return;
  if (mode === 'all' || mode === 'fullRbf') {
    client.trackRbf = mode;
    r.rbfLatest = JSON.stringify(state.rbf.latest(mode === 'fullRbf'));
  } else {
    client.trackRbf = null;
  }
}

function applyFlag(value: unknown, set: (on: boolean) => void): void {
  if (value === true) set(true);
  else if (value === false) set(false);
}

/**
 * Handle one parsed inbound message in websocket-handler.ts order. Throws on `null` (the server's
 * `parsedMessage.action` throws, and the caller closes the socket).
 */
export function handleMessage(parsed: unknown, client: ClientState, state: FakeState): Handled {
  if (parsed === null) throw new Error('null message');
  const msg = isRecord(parsed) ? parsed : {};
  const r: ResponseMap = {};
  const wantNow = applyWant(msg, client);
  if (wantNow.has('blocks') || msg['refresh-blocks']) r.blocks = state.field('blocks');
  if (wantNow.has('mempool-blocks')) r['mempool-blocks'] = state.field('mempool-blocks');
  if (wantNow.has('stats')) {
    r.mempoolInfo = state.field('mempoolInfo');
    r.vBytesPerSecond = state.field('vBytesPerSecond');
    r.fees = state.field('fees');
    r.da = state.field('da');
  }
  // The real server answers `track-txs-error`, then closes: nothing after it is handled.
  if (applyTrackTxs(msg, client, state, r)) return { response: r, close: true };
  applyMempoolBlock(msg, client, state, r);
  applyRbf(msg, client, state, r);
  let init: string | undefined;
  if (msg.action === 'init') {
    init = state.initFrame();
    // No blocks yet: the real server returns here, dropping the rest of the message.
    if (init === undefined) return { response: {} };
  }
  if (msg.action === 'ping') r.pong = JSON.stringify(true);
  applyFlag(msg['track-mempool-txids'], (on) => (client.trackMempoolTxids = on));
  applyFlag(msg['track-mempool'], (on) => (client.trackMempool = on));
  return init === undefined ? { response: r } : { init, response: r };
}
