import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Block, Transaction } from 'bitcoinjs-lib';
import { buildBlock, parseBlock } from './block.js';
import { execute, type MethodContext } from './methods.js';
import { CoreNode } from './node.js';
import { RpcServer } from './rpc.js';
import type {
  AddTxOptions,
  BaseBlock,
  BlockInput,
  ChainBlock,
  FakeCoreOptions,
  MakeBlockOptions,
  MempoolEntry,
  RpcDownMode,
  ZmqTopic,
} from './types.js';
import { ZmqHub, type SubscriptionEvent } from './zmq.js';

/** Block 277646: the parent of the fixture block 277647 (hash from its header; time is synthetic). */
export const BASE_277646: BaseBlock = {
  hash: '0000000000000000c86826ab2fbe4639ec413004955a36e77c2267988579e653',
  height: 277646,
  time: 1388367102 - 600,
  bits: 0x1903a30c,
};

/** A running fake bitcoind: its endpoints, its state, actions that publish as Core does, and faults. */
export interface FakeCore {
  /** The PUB endpoint of every topic, `tcp://127.0.0.1:PORT`. */
  /** Put a coin in the UTXO set (`gettxout` answers it; the fake has no UTXO set of its own). */
  setUtxo(txid: string, vout: number, coin: { valueSats: number; scriptHex: string }): void;
  readonly zmqUrl: string;
  /** `http://127.0.0.1:PORT/`. */
  readonly rpcUrl: string;
  /** A `.cookie` file in a temp dir holding `__cookie__:<64 hex>`, as Core writes it (no newline). */
  readonly cookieFile: string;
  readonly rpcUser: string;
  readonly rpcPassword: string;
  /** The state behind the RPC answers (mempool, chain, mempool sequence); mutate only through the actions. */
  readonly node: CoreNode;
  /** Live view of the mempool. */
  readonly mempool: ReadonlyMap<string, MempoolEntry>;
  /** The active tip. */
  readonly tip: ChainBlock;
  /** CTxMemPool's sequence counter: the value `getrawmempool false true` reports (the next A/R's number). */
  readonly mempoolSequence: number;
  /** Methods called over RPC, in order (each member of a batch). */
  readonly rpcCalls: readonly string[];
  /** (Un)subscriptions the ZMQ socket received. */
  readonly subscriptions: readonly SubscriptionEvent[];
  /** Accept to the mempool; a conflict with mempool transactions is a replacement (they leave first). Returns the txid. */
  addTx(tx: Transaction | string, o: AddTxOptions): Promise<string>;
  /** Remove from the mempool with its descendants (expiry / eviction): `R` for each. */
  removeTx(txid: string): Promise<void>;
  /** A block mining `txs` on the tip (or `o.prevHash`), not connected yet. */
  makeBlock(txs: readonly Transaction[], o?: MakeBlockOptions): Block;
  /** Connect a block on the tip (hex, parsed, or transactions to mine with {@link makeBlock}). */
  connectBlock(block: BlockInput): Promise<ChainBlock>;
  /** Disconnect the tip with no replacement (as `invalidateblock`); its transactions return to the mempool. */
  disconnectTip(): Promise<ChainBlock>;
  /** Replace the top `depth` blocks by `blocks` (transaction arrays are mined in turn on the fork point). Returns the new tip. */
  reorg(depth: number, blocks: readonly BlockInput[]): Promise<ChainBlock>;
  /** The next `n` messages of `topic` are lost (not sent; their sequence numbers are used), as past a subscriber's HWM. */
  dropNext(topic: ZmqTopic, n?: number): void;
  /** The sequence number the next `topic` message will carry. */
  zmqSequence(topic: ZmqTopic): number;
  /** Take the RPC port down (`refuse`: connection refused; `hang`: requests never answered) or bring it back (false). */
  rpcDown(down: boolean, mode?: RpcDownMode): Promise<void>;
  /** Unbind the ZMQ port: subscribers are cut off; messages published meanwhile are lost but numbered. */
  zmqDown(): Promise<void>;
  /** Bind the same ZMQ port again; `resetSequences` numbers from 0 again, as a restarted bitcoind does. */
  zmqUp(o?: { resetSequences?: boolean }): Promise<void>;
  /** A new cookie password in the same file (a restarted bitcoind): the old credentials get 401. */
  rotateCookie(): Promise<void>;
  /** Count of subscription events so far, for `waitForSubscriber({ since })` after a reconnect. */
  subscriptionMark(): number;
  /**
   * Resolve when a subscriber has subscribed (after `since`) to prefixes covering all `topics`: from then on it
   * receives what is published. Use this instead of sleeping after a SUB connects.
   */
  waitForSubscriber(topics?: readonly ZmqTopic[], o?: { since?: number; timeoutMs?: number }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Start a fake Bitcoin Core on loopback: ZMQ notifications and JSON-RPC as Core 28 sends them, over a
 * mempool and chain that start at block 277646 (by default) so that the real block 277647 connects on it.
 */
export async function startFakeCore(options: FakeCoreOptions = {}): Promise<FakeCore> {
  const node = new CoreNode(options.base ?? BASE_277646);
  const dir = await mkdtemp(join(tmpdir(), 'fake-core-'));
  const cookieFile = join(dir, '.cookie');
  let password = '';
  const writeCookie = async (): Promise<void> => {
    password = randomBytes(32).toString('hex');
    await writeFile(`${cookieFile}.tmp`, `__cookie__:${password}`);
    await rename(`${cookieFile}.tmp`, cookieFile);
  };
  await writeCookie();
  const hwm = options.zmqHighWaterMark ?? 1000;
  const zmqHub = await ZmqHub.start(hwm);
  const ctx: MethodContext = {
    node,
    utxos: new Map(),
    zmqUrl: zmqHub.url,
    zmqHighWaterMark: hwm,
    estimateSatPerKvB: options.estimateSatPerKvB === undefined ? 10_000 : options.estimateSatPerKvB,
  };
  const rpc = await RpcServer.start({
    credentials: () => `__cookie__:${password}`,
    execute: (method, params) => execute(ctx, method, params),
    badAuthDelayMs: options.badAuthDelayMs ?? 250,
  });

  const makeBlock = (txs: readonly Transaction[], o: MakeBlockOptions = {}): Block => {
    const parent = node.parentFor(o.prevHash);
    return buildBlock(parent, txs, node.feesOf(txs), o);
  };
  type Parent = { hash: string; height: number; time: number; bits: number };
  const toBlock = (input: BlockInput, parent: Parent = node.tip): Block =>
    Array.isArray(input) ? buildBlock(parent, input, node.feesOf(input)) : parseBlock(input);

  return {
    setUtxo: (txid, vout, coin) => void ctx.utxos.set(`${txid}:${vout}`, coin),
    zmqUrl: zmqHub.url,
    rpcUrl: rpc.url,
    cookieFile,
    rpcUser: '__cookie__',
    get rpcPassword() {
      return password;
    },
    node,
    mempool: node.mempool,
    get tip() {
      return node.tip;
    },
    get mempoolSequence() {
      return node.mempoolSequence;
    },
    rpcCalls: rpc.calls,
    subscriptions: zmqHub.subscriptions,
    async addTx(tx, o) {
      const t = typeof tx === 'string' ? Transaction.fromHex(tx) : tx;
      await zmqHub.publish(node.addTx(t, o.fee, o.time));
      return t.getId();
    },
    async removeTx(txid) {
      await zmqHub.publish(node.removeTx(txid));
    },
    makeBlock,
    async connectBlock(block) {
      await zmqHub.publish(node.activate(0, [toBlock(block)]));
      return node.tip;
    },
    async disconnectTip() {
      const old = node.tip;
      await zmqHub.publish(node.activate(1, []));
      return old;
    },
    async reorg(depth, blocks) {
      const fork = node.chain[node.chain.length - 1 - depth];
      if (!fork) throw new Error(`fake-core: the chain is not ${depth} blocks deep`);
      const built: Block[] = [];
      let parent: Parent = fork;
      for (const input of blocks) {
        const b = toBlock(input, parent);
        built.push(b);
        parent = { hash: b.getId(), height: parent.height + 1, time: b.timestamp, bits: b.bits };
      }
      await zmqHub.publish(node.activate(depth, built));
      return node.tip;
    },
    dropNext: (topic, n = 1) => zmqHub.dropNext(topic, n),
    zmqSequence: (topic) => zmqHub.nextSequence(topic),
    rpcDown: (down, mode = 'refuse') => rpc.setDown(down ? mode : null),
    zmqDown: () => zmqHub.down(),
    async zmqUp(o = {}) {
      if (o.resetSequences) zmqHub.resetSequences();
      await zmqHub.up();
    },
    rotateCookie: writeCookie,
    subscriptionMark: () => zmqHub.mark(),
    waitForSubscriber: (topics, o = {}) => zmqHub.waitForSubscriber(topics, o.since, o.timeoutMs),
    async close() {
      await Promise.allSettled([rpc.close(), zmqHub.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
