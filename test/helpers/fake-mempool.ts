/**
 * A faithful fake of mempool.space's WebSocket API (mempool/backend websocket-handler.ts) for tests, fed with
 * real fixture data. See /work/shared/docs/mempool-ws-protocol.md §1–§5 and §10, and fake-mempool.test.ts.
 *
 * @example
 * const fake = await startFakeMempool();
 * // point the client at fake.url, then:
 * await fake.waitForMessage((m) => isRecord(m.message) && m.message['track-mempool'] === true);
 * fake.pushMempool({ added: loadBlock277647().slice(1, 4) });
 * await fake.close();
 */
export { startFakeMempool } from './fake-mempool/server.js';
export { waitFor } from './fake-mempool/wait.js';
export { serialize } from './fake-mempool/frames.js';
export { merkleRoot, subsidy } from './fake-mempool/block.js';
export type {
  ClientMessage,
  FakeMempool,
  FakeMempoolOptions,
  ProjectedTx,
  RbfTransaction,
  RbfTree,
  Subscriptions,
  TrackedInfo,
} from './fake-mempool/types.js';
export type { ReplacementInfo } from './fake-mempool/rbf.js';
export type { EsploraTx, MempoolTransactionExtended } from './fixtures.js';

/** A predicate for `waitForMessage`: connection `conn` (any, when omitted) has sent `track-mempool: true`. */
export function isTrackMempool(conn?: number): (m: { conn: number; message: unknown }) => boolean {
  return (m) =>
    (conn === undefined || m.conn === conn) &&
    typeof m.message === 'object' &&
    m.message !== null &&
    (m.message as Record<string, unknown>)['track-mempool'] === true;
}
