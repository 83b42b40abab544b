/**
 * A fake Bitcoin Core (bitcoind 28) on loopback for tests: ZMQ notifications and JSON-RPC as Core sends them,
 * over a small node state (mempool, chain, mempool sequence), fed with real mainnet bytes (block 277647 from
 * ../shared/fixtures, see fixtures.ts). See fake-core.test.ts.
 *
 * ## ZMQ wire format (src/zmq/zmqpublishnotifier.cpp, doc/zmq.md)
 * Every notification is 3 parts: topic, body, 4-byte LE sequence number. Each topic counts on its own from 0
 * (one `nSequence` per notifier, incremented after each send), all topics share one socket (same address).
 * Bodies: `rawtx` the transaction with witness (`TX_WITH_WITNESS`), `rawblock` the block, `hashtx`/`hashblock`
 * the 32-byte hash in display order (bytes reversed from uint256), `sequence` = hash (display order) + label
 * `C`/`D`, or `A`/`R` + 8-byte LE mempool sequence number (`SendSequenceMsg`).
 *
 * ## Order of the messages (what the actions publish)
 * Notifiers run in the order of their options sorted by name (`factories` is a std::map): hashblock, hashtx,
 * rawblock, rawtx, sequence; so per transaction `hashtx` comes before `rawtx`, per tip `hashblock` before
 * `rawblock`. Validation signals are queued and delivered in the order they were raised
 * (zmqnotificationinterface.cpp, validation.cpp, txmempool.cpp):
 * - `addTx` (MemPoolAccept::AcceptSingleTransaction): the replaced transactions and their descendants leave
 *   first (RemoveStaged, reason REPLACED → `sequence R` each, in setEntries order = uint256 memcmp of the
 *   internal bytes), then TransactionAddedToMempool: `hashtx`, `rawtx`, `sequence A`. Note: rawtx comes
 *   before A (NotifyTransaction, then NotifyTransactionAcceptance, per notifier).
 * - `removeTx` (expiry/eviction, RemoveStaged with descendants): `sequence R` for each.
 * - `connectBlock` (ActivateBestChainStep → ConnectTip → removeForBlock, then ActivateBestChain): per block
 *   transaction in block order, the mined one leaves the mempool silently (the mempool sequence still moves,
 *   removeUnchecked: "We increment mempool sequence value no matter removal reason") and its conflicts leave
 *   with `R`; then BlockConnected: `hashtx` + `rawtx` for every transaction of the block (coinbase included),
 *   then `sequence C`; then UpdatedBlockTip: `hashblock`, `rawblock`.
 * - `disconnectTip` (DisconnectTip, as invalidateblock): BlockDisconnected: `hashtx` + `rawtx` for every
 *   transaction (coinbase included), `sequence D`; then MaybeUpdateMempoolForReorg re-accepts the non-coinbase
 *   transactions in block order: `hashtx`, `rawtx`, `sequence A` each. No hashblock/rawblock (UpdatedBlockTip
 *   is skipped when no block was connected).
 * - `reorg(depth, blocks)`: per disconnected block (tip first) as above up to `D`; then the new blocks are
 *   connected (their conflicts `R`) until the chain is longer than the old one; then the disconnected
 *   transactions return (`A`; those the new chain spent are dropped, their mempool spenders get `R`); then per
 *   connected block `hashtx`/`rawtx`…, `C`; then `hashblock`, `rawblock` of the new tip only. Each further
 *   block is a step of its own (with its own hashblock/rawblock).
 *
 * ## Mempool sequence
 * Starts at 1; every addition and every removal (mined ones too, silently) takes the current value and adds 1
 * (GetAndIncrementSequence); `getrawmempool false true` reports the current (next) value.
 *
 * ## Subscribers and the slow-joiner gap
 * A SUB receives nothing until its subscription reached the publisher. The fake's socket is an XPUB (same wire
 * protocol as Core's PUB for a SUB), so it sees subscriptions: `await fake.waitForSubscriber(topics)` after the
 * code under test connects, and `openTap(fake)` for a recording subscriber. After `zmqDown`/`zmqUp`, pass
 * `{ since: fake.subscriptionMark() }` taken before, to wait for the resubscription.
 *
 * ## Known differences from a real node
 * - No UTXO set, no script or policy checks: `addTx` takes the fee as given and accepts any replacement; a
 *   disconnected transaction that conflicts with the mempool or the new chain is dropped (in Core ATMP fails).
 * - The base tip (default 277646) is a stub: only hash and height are real (time = 277647's - 600, bits =
 *   277647's, chainwork synthetic); `getblock HASH 0` answers -1 "Block not available (pruned data)",
 *   `getblock HASH 1` lists no transactions, `getblockheader HASH false` is an error.
 * - vsize = ceil(weight / 4) (no sigop adjustment); `getmempoolinfo.usage` is a rough estimate; mediantime uses
 *   the known blocks only; `getrawtransaction` / `getblock` answer only verbosity 0 and 1 (0 for the former).
 * - Missing or surplus arguments get -1 with a short message instead of Core's help text.
 * - zmqDown closes the socket (Core would keep publishing to nobody): same effect for subscribers.
 *
 * @example
 * const fake = await startFakeCore();
 * const tap = await openTap(fake, ['rawtx', 'sequence']);
 * await fake.connectBlock(readFileSync(BLOCK_277647_HEX, 'utf8'));
 * const msgs = await tap.take(213 + 1); // 213 rawtx, then sequence C
 * expect(await rpcCall(fake, 'getblockcount')).toMatchObject({ result: 277647 });
 * await fake.close();
 */
import { FIXTURES_URL } from './fixtures.js';

export { startFakeCore, BASE_277646, type FakeCore } from './fake-core/server.js';
export { openTap, labelOf, type TapMessage, type TapTarget, type ZmqTap } from './fake-core/tap.js';
export { rpcCall, rpcPost, type RpcAnswer, type RpcTarget } from './fake-core/client.js';
export { txFromEsplora, spendingTx, Amount, subsidyAt, byInternalHash } from './fake-core/block.js';
export { CoreNode } from './fake-core/node.js';
export { RPC, RpcFailure } from './fake-core/rpc.js';
export type { SubscriptionEvent } from './fake-core/zmq.js';
export {
  ZMQ_TOPICS,
  type AddTxOptions,
  type BaseBlock,
  type BlockInput,
  type ChainBlock,
  type FakeCoreOptions,
  type MakeBlockOptions,
  type MempoolEntry,
  type Notification,
  type RpcDownMode,
  type ZmqTopic,
} from './fake-core/types.js';

/** The real mainnet block 277647, hex on one line (in ../shared/fixtures: skip a test when it is absent). */
export const BLOCK_277647_HEX: URL = new URL('mainnet-block-277647.hex', FIXTURES_URL);
