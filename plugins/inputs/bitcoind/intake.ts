import { parseRawTx, type RawFacts } from './parse.js';
import { isRpcError, NOT_FOUND } from './rpc.js';
import { spendsOf } from './mempool.js';
import { txSeenOf, type NodeState, type RpcMempoolEntry } from './state.js';

/** Largest `getmempoolentry` batch: a burst is asked for in a few requests, not one per tx. */
const BATCH = 500;

export interface IntakeDeps {
  state: NodeState;
  /** A `rawtx` that is not a transaction. */
  reject(why: string): void;
  /** The RPC failed (not Core's answer): the transactions of that batch need a resync. */
  rpcFailed(error: Error): void;
}

/** New transactions from `rawtx`, completed by `getmempoolentry`, published in arrival order. */
export interface Intake {
  /** A `rawtx` notification's body. */
  rawtx(bytes: Uint8Array): void;
  /** Resolves when every transaction received so far is processed. */
  idle(): Promise<void>;
  /**
   * Take in a transaction known to be in the node's mempool (from a resync), as a live one:
   * replacements first; `tx.seen` only when `announce` and not published before.
   */
  take(facts: RawFacts, entry: RpcMempoolEntry, announce: boolean): void;
}

/**
 * Publish a transaction once it is in the node's mempool and the input knows its fee: `rawtx`
 * alone has no fee (the inputs' values are not in it), so transactions are asked for with
 * `getmempoolentry` in batches, one batch in flight at a time so events keep arrival order. A
 * transaction Core answers "not in mempool" for is not new: a block's (Core publishes `rawtx`
 * for each transaction of a connected block), or already gone. One spending an outpoint that a
 * mempool transaction spends replaced it: `tx.replaced` (per replaced transaction, `fullRbf` when
 * it did not signal) is published before the replacement's `tx.seen`.
 */
export function createIntake(d: IntakeDeps): Intake {
  const { state } = d;
  let queue: RawFacts[] = [];
  let running: Promise<void> | null = null;

  const settle = (facts: RawFacts, entry: RpcMempoolEntry, announce = true) => {
    if (state.pool.has(facts.txid)) return;
    for (const replaced of state.pool.conflicts(spendsOf(facts.inputs), facts.txid)) {
      const old = state.forget(replaced);
      if (old)
        state.publish('tx.replaced', { txid: replaced, byTxid: facts.txid, fullRbf: !old.rbfSignaling });
    }
    state.admit(facts, entry);
    if (announce && !state.seen.has(facts.txid)) state.announce(txSeenOf(facts, entry));
  };

  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, BATCH);
      queue = queue.slice(batch.length);
      let answers;
      try {
        answers = await state.rpc.batch(batch.map((f) => ({ method: 'getmempoolentry', params: [f.txid] })));
      } catch (error) {
        queue = [];
        d.rpcFailed(error as Error);
        return;
      }
      answers.forEach((a, i) => {
        const facts = batch[i]!;
        if ('result' in a) settle(facts, a.result as RpcMempoolEntry);
        else if (!isRpcError(a.error, NOT_FOUND))
          d.reject(`getmempoolentry ${facts.txid}: ${(a.error as Error).message}`);
      });
    }
  };
  const kick = () => {
    if (running) return;
    running = drain().finally(() => {
      running = null;
      if (queue.length > 0) kick();
    });
  };

  return {
    rawtx(bytes) {
      let facts: RawFacts;
      try {
        facts = parseRawTx(bytes, state.network);
      } catch (error) {
        d.reject(`a rawtx of ${bytes.length} bytes is not a transaction: ${(error as Error).message}`);
        return;
      }
      if (facts.coinbase || state.mined.has(facts.txid) || state.pool.has(facts.txid)) return;
      queue.push(facts);
      kick();
    },
    async idle() {
      while (running) await running;
    },
    take: settle,
  };
}
