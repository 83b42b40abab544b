import { createLru } from '../../../src/index.js';
import { spendsOf } from './mempool.js';
import { parseRawBlock } from './parse.js';
import type { NodeState } from './state.js';

/** `getblock HASH 1`, the fields the input reads. */
interface RpcBlock {
  hash: string;
  height: number;
  time: number;
  tx: string[];
  previousblockhash?: string;
}

/** How far back a tip the input missed is caught up (older blocks are only logged). */
const MAX_CATCH_UP = 10;

export interface ChainDeps {
  state: NodeState;
  log: { warn(o: object, m: string): void; info(o: object, m: string): void };
  reject(why: string): void;
  rpcFailed(error: Error): void;
}

/** Blocks connected and disconnected, from `sequence`, `rawblock` or `hashblock`. */
export interface Chain {
  /** A block (by hash) connected; its raw bytes when `rawblock` carried them. */
  connected(hash: string, raw?: Uint8Array): void;
  /** A block disconnected (a reorg). */
  disconnected(hash: string): void;
  /** Catch up from the known tip to the node's (after a gap), publishing what was missed. */
  catchUp(height: number, hash: string): Promise<void>;
  /** Whether a block spent one of `outpoints` (a transaction removed for this is a conflict). */
  spentByBlock(outpoints: readonly string[]): boolean;
  idle(): Promise<void>;
}

/**
 * The chain as the input reports it. Each block is handled once (Core notifies it on up to
 * three topics), one at a time in arrival order: `getblock` gives its height, time and txids;
 * its transactions leave the mempool copy (mined, not removed: Core sends no `R` for them) and
 * `block.connected` is published. A disconnected block (a reorg) is published as
 * `block.disconnected`; its transactions return to the mempool with `rawtx` and are taken in
 * again, but not announced a second time.
 */
export function createChain(d: ChainDeps): Chain {
  const { state } = d;
  const handled = createLru<string, 'C' | 'D'>(100);
  const blockSpends = createLru<string, true>(200_000);
  let work: Promise<void> = Promise.resolve();

  // The txids of recent blocks by hash: a disconnected block's transactions come back (`rawtx`)
  // right after its `D`, before `getblock` could say which they are.
  const txidsOf = createLru<string, string[]>(20);

  const getBlock = async (hash: string): Promise<RpcBlock> => {
    const b = await state.rpc.call<RpcBlock>('getblock', [hash, 1]);
    if (
      typeof b?.height !== 'number' ||
      typeof b.time !== 'number' ||
      !Array.isArray(b.tx) ||
      !b.tx.every((t) => typeof t === 'string')
    )
      throw new Error(`bitcoind answered getblock ${hash} without height, time and txids`);
    return b;
  };

  // A block marked handled whose fetch fails is unmarked, so the resync that follows fetches it.
  const once = (hash: string, mark: 'C' | 'D', fn: () => Promise<void>) => {
    if (handled.get(hash) === mark) return;
    handled.set(hash, mark);
    quietly(
      queue(async () => {
        try {
          await fn();
        } catch (error) {
          if (handled.get(hash) === mark) handled.delete(hash);
          throw error;
        }
      }),
    );
  };

  const apply = (b: RpcBlock) => {
    txidsOf.set(b.hash, b.tx);
    for (const txid of b.tx) {
      state.mined.set(txid, true);
      state.forget(txid);
    }
    state.tip = { height: b.height, hash: b.hash };
    state.dirty = true;
    state.publish('block.connected', {
      height: b.height,
      hash: b.hash,
      time: new Date(b.time * 1000).toISOString(),
      txids: b.tx,
    });
  };

  // `work` never rejects (a failure is reported once, by rpcFailed); the caller's promise does.
  const queue = (fn: () => Promise<void>): Promise<void> => {
    const done = work.then(fn);
    work = done.catch((error: Error) => d.rpcFailed(error));
    return done;
  };
  const quietly = (p: Promise<void>) => void p.catch(() => {});

  return {
    connected(hash, raw) {
      if (raw) {
        try {
          for (const tx of parseRawBlock(raw, state.network).txs)
            for (const o of spendsOf(tx.inputs)) blockSpends.set(o, true);
        } catch (error) {
          d.reject(`a rawblock of ${raw.length} bytes is not a block: ${(error as Error).message}`);
        }
      }
      once(hash, 'C', async () => apply(await getBlock(hash)));
    },
    disconnected(hash) {
      for (const txid of txidsOf.get(hash) ?? []) state.mined.delete(txid);
      once(hash, 'D', async () => {
        const b = await getBlock(hash);
        for (const txid of b.tx) state.mined.delete(txid);
        state.tip = b.previousblockhash ? { height: b.height - 1, hash: b.previousblockhash } : null;
        d.log.warn({ height: b.height, hash }, `block ${b.height} was disconnected (a reorg)`);
        state.publish('block.disconnected', { height: b.height, hash: b.hash, txids: b.tx });
      });
    },
    catchUp: (height, hash) =>
      queue(async () => {
        // The tip at the first contact is where the input starts, not news (as the mempool input).
        if (state.tip === null) return void (state.tip = { height, hash });
        if (state.tip.hash === hash) return;
        const from = Math.max(state.tip.height + 1, height - MAX_CATCH_UP + 1);
        if (from > state.tip.height + 1)
          d.log.warn(
            { from: state.tip.height + 1, to: from - 1 },
            `missed ${from - state.tip.height - 1} block(s) while away; their confirmations are not reported`,
          );
        for (let h = from; h <= height; h++) {
          const blockHash = h === height ? hash : await state.rpc.call<string>('getblockhash', [h]);
          if (handled.get(blockHash) === 'C') continue;
          apply(await getBlock(blockHash));
          handled.set(blockHash, 'C');
        }
      }),
    spentByBlock: (outpoints) => outpoints.some((o) => blockSpends.has(o)),
    idle: () => work,
  };
}
