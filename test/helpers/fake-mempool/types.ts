import type { EsploraTx } from '../fixtures.js';
import type { TrackedInfo } from './tracked.js';

export type { TrackedInfo } from './tracked.js';

/** Options of {@link startFakeMempool}. */
export interface FakeMempoolOptions {
  /** Init payload (default: loadInitPayload()). */
  init?: Record<string, unknown>;
  /** Mirror the server's inbound limits (defaults: 50_000 bytes, 100 messages per 10 s). */
  maxMessageSize?: number;
  rateLimit?: { messages: number; windowMs: number };
}

/** One inbound text frame. */
export interface ClientMessage {
  /** 1-based connection number, in accept order. */
  conn: number;
  /** The parsed JSON, or null when the frame is not JSON. */
  message: unknown;
  raw: string;
  /** Date.now() on receipt. */
  at: number;
}

/** A connection's subscriptions, as the server sees them. */
export interface Subscriptions {
  want: string[];
  trackMempool: boolean;
  trackRbf: string | null;
  trackMempoolBlock: number | null;
}

/** A projected-block transaction: `[txid, fee, vsize, value, rate, flags, time]` (§4.3 TransactionCompressed). */
export type ProjectedTx = [string, number, number, number, number, number, number];

/** A running fake mempool.space WebSocket server. */
export interface FakeMempool {
  /** ws://127.0.0.1:<port>/api/v1/ws (any path is accepted, like the real backend). */
  url: string;
  /** Every inbound text frame, in order. */
  received: ClientMessage[];
  /** Connections accepted so far (total). */
  accepted(): number;
  /** Connections currently open. */
  openCount(): number;
  /** Resolves when accepted() >= n; rejects after `ms` (default 5000). */
  waitForConnections(n: number, ms?: number): Promise<void>;
  /** The first (past or future) message matching; rejects after `ms` (default 5000). */
  waitForMessage(pred: (m: ClientMessage) => boolean, ms?: number): Promise<ClientMessage>;
  /** The `track-txs` list (lower-cased txids) of the given (default: latest) connection, [] when none. */
  trackedTxs(conn?: number): string[];
  /** Subscriptions of the given (default: latest) connection. */
  subscriptions(conn?: number): Subscriptions;
  /**
   * The sequence of the latest mempool-transactions / mempool-txids / projected-block push: 0 before any,
   * so the first push carries 1 (the real server's counter starts at 0 and is incremented before use).
   */
  sequence(): number;
  /**
   * A mempool update, sent like the real server's `$handleMempoolChange` (one frame per client, only the
   * keys it subscribed to). Like the real server, each replacement (`by`) is also listed in `added` and each
   * replaced txid in `removed` (unless already there).
   */
  pushMempool(update: {
    added?: EsploraTx[];
    removed?: string[];
    replaced?: Array<{ replaced: string; by: EsploraTx }>;
  }): void;
  /** A new block, sent like the real server's `handleNewBlock` (one frame per client). */
  pushBlock(
    block: { id: string; height: number; timestamp: number; tx_count?: number },
    minedTxids: string[],
  ): void;
  /** Set the projected blocks (MempoolBlock[]) reported in `mempool-blocks` and init. */
  setMempoolBlocks(blocks: unknown[]): void;
  /** Transactions of projected block N for `track-mempool-block`. Deltas are computed at the next push. */
  setProjectedBlockTransactions(index: number, txs: ProjectedTx[]): void;
  /**
   * Answer `track-mempool-block: index` with these raw text frames, in order, instead of the computed
   * `projected-block-transactions` (any text: garbage, truncated JSON, a list of the wrong shape); the
   * subscription itself is recorded as usual. `null` restores the computed answer.
   */
  setProjectedBlockReply(index: number, frames: string[] | null): void;
  /** Broadcast `conversions` ({time, USD, EUR, …}) to all clients; `time` defaults to now (unix s). */
  pushConversions(prices: Record<string, number>): void;
  /**
   * Send `tracked-txs` news (`{[txid]: {position: {block, vsize}, cpfp?: {effectiveFeePerVsize…}}}`)
   * to every client tracking those txids, each only its own entries (websocket-handler.ts).
   */
  pushTracked(updates: Record<string, TrackedInfo>): void;
  /** Send a raw text frame to every open client (even while stalled). */
  sendRaw(text: string): void;
  /** Terminate every open connection abruptly (no close frame). */
  dropAll(): void;
  /** While stalled the server records frames but answers and pushes nothing (not even pong); TCP stays open. */
  stall(on: boolean): void;
  /** Terminate all clients and close the server. */
  close(): Promise<void>;
}

/** RbfTree node tx (§4.6). */
export interface RbfTransaction {
  txid: string;
  fee: number;
  vsize: number;
  value: number;
  rate: number;
  time?: number;
  rbf: boolean;
  fullRbf?: boolean;
  mined?: boolean;
}

/** RbfTree (§4.6). */
export interface RbfTree {
  tx: RbfTransaction;
  time: number;
  interval?: number;
  mined?: boolean;
  fullRbf: boolean;
  replaces: RbfTree[];
}
