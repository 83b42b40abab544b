import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { loadInitPayload } from '../fixtures.js';
import { handleMessage, newClient, subscriptionsOf, type ClientState } from './client.js';
import {
  blockResponse,
  hasKeys,
  mempoolResponse,
  ResponseCache,
  serialize,
  type ResponseMap,
} from './frames.js';
import { FakeState } from './state.js';
import { trackedFor } from './tracked.js';
import type { ClientMessage, FakeMempool, FakeMempoolOptions } from './types.js';
import { waitFor } from './wait.js';

/** `MAX_BUFFERED_AMOUNT`: a client with more unsent bytes is terminated instead of sent to. */
const MAX_BUFFERED_AMOUNT = 10_000_000;

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function parseJson(raw: string): { ok: boolean; value: unknown } {
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false, value: null };
  }
}

function send(client: ClientState, text: string): void {
  if (client.ws.readyState !== WebSocket.OPEN) return;
  if (client.ws.bufferedAmount > MAX_BUFFERED_AMOUNT) client.ws.terminate();
  else client.ws.send(text);
}

/**
 * Start a fake mempool.space WebSocket server on 127.0.0.1 (random port) that behaves like
 * mempool/backend's websocket-handler.ts, fed with the real init payload by default.
 */
export async function startFakeMempool(options: FakeMempoolOptions = {}): Promise<FakeMempool> {
  const state = new FakeState(structuredClone(options.init ?? loadInitPayload()));
  const limit = options.rateLimit ?? { messages: 100, windowMs: 10_000 };
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: false,
    maxPayload: options.maxMessageSize ?? 50_000,
    autoPong: false,
  });
  await once(wss, 'listening');
  const { port } = wss.address() as AddressInfo;
  const clients = new Map<number, ClientState>();
  const received: ClientMessage[] = [];
  let stalled = false;
  let closed = false;
  /** Raw answers to `track-mempool-block: index` set by the test (setProjectedBlockReply). */
  const projectedReplies = new Map<number, string[]>();
  const rawReplyTo = (message: unknown): string[] | undefined => {
    const index =
      typeof message === 'object' && message !== null
        ? (message as Record<string, unknown>)['track-mempool-block']
        : undefined;
    return typeof index === 'number' ? projectedReplies.get(index) : undefined;
  };

  const openClients = (): ClientState[] =>
    [...clients.values()].filter((c) => c.ws.readyState === WebSocket.OPEN);

  const overRateLimit = (client: ClientState): boolean => {
    const now = Date.now();
    client.stamps = client.stamps.filter((t) => now - t < limit.windowMs);
    if (client.stamps.length >= limit.messages) return true;
    client.stamps.push(now);
    return false;
  };

  const onMessage = (client: ClientState, data: RawData): void => {
    const raw = toText(data);
    const parsed = parseJson(raw);
    received.push({ conn: client.id, message: parsed.value, raw, at: Date.now() });
    if (stalled || client.ws.readyState !== WebSocket.OPEN) return;
    if (overRateLimit(client) || !parsed.ok) return client.ws.close();
    try {
      const handled = handleMessage(parsed.value, client, state);
      const raw = client.trackMempoolBlock === null ? undefined : rawReplyTo(parsed.value);
      if (raw) delete handled.response['projected-block-transactions'];
      if (handled.init !== undefined) send(client, handled.init);
      if (hasKeys(handled.response)) send(client, serialize(handled.response));
      for (const text of raw ?? []) send(client, text);
      if (handled.close) client.ws.close();
    } catch {
      client.ws.close();
    }
  };

  wss.on('connection', (ws) => {
    const client = newClient(clients.size + 1, ws);
    clients.set(client.id, client);
    // Like the real handler: log-and-close on errors (e.g. maxPayload exceeded, which ws closes with 1009).
    ws.on('error', () => ws.close());
    ws.on('ping', (data) => {
      if (!stalled) ws.pong(data);
    });
    ws.on('message', (data) => onMessage(client, data));
  });

  const broadcast = (build: (client: ClientState, cache: ResponseCache) => ResponseMap): void => {
    if (stalled) return;
    const cache = new ResponseCache();
    for (const client of openClients()) {
      const response = build(client, cache);
      if (hasKeys(response)) send(client, serialize(response));
    }
  };

  return {
    url: `ws://127.0.0.1:${port}/api/v1/ws`,
    received,
    accepted: () => clients.size,
    openCount: () => openClients().length,
    waitForConnections: async (n, ms = 5000) => {
      await waitFor(
        () => clients.size >= n,
        ms,
        `${n} connection(s) (have ${clients.size})`,
        () => closed,
      );
    },
    waitForMessage: (pred, ms = 5000) =>
      waitFor(
        () => received.find(pred),
        ms,
        'a matching client message',
        () => closed,
      ),
    trackedTxs: (conn) => [...(clients.get(conn ?? clients.size)?.trackTxs ?? [])],
    subscriptions: (conn) => subscriptionsOf(clients.get(conn ?? clients.size)),
    sequence: () => state.sequence(),
    pushMempool: (update) => {
      const change = state.applyMempool(update);
      broadcast((client, cache) => mempoolResponse(client, change, state, cache));
    },
    pushBlock: (block, minedTxids) => {
      const change = state.applyBlock(block, minedTxids);
      broadcast((client, cache) => blockResponse(client, change, state, cache));
    },
    setMempoolBlocks: (blocks) => state.setMempoolBlocks(blocks),
    setProjectedBlockTransactions: (index, txs) => state.projected.set(index, txs),
    setProjectedBlockReply: (index, frames) => {
      if (frames === null) projectedReplies.delete(index);
      else projectedReplies.set(index, [...frames]);
    },
    pushConversions: (prices) => {
      const conversions = state.setConversions(prices);
      if (stalled) return;
      const text = JSON.stringify({ conversions });
      for (const client of openClients()) send(client, text);
    },
    pushTracked: (updates) => {
      broadcast((client) => ({ 'tracked-txs': trackedFor(client, updates) }));
    },
    sendRaw: (text) => {
      for (const client of openClients()) client.ws.send(text);
    },
    dropAll: () => {
      for (const client of openClients()) client.ws.terminate();
    },
    stall: (on) => {
      stalled = on;
    },
    close: async () => {
      closed = true;
      for (const client of clients.values()) client.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
