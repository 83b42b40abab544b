import { parseRawTx, type RawFacts } from './parse.js';
import { isRpcError, NOT_FOUND } from './rpc.js';
import { spendsOf } from './mempool.js';
import { fillPrevouts } from './prevouts.js';
import { isMempoolEntry, txSeenOf, type NodeState, type RpcMempoolEntry } from './state.js';

/** Largest `getmempoolentry` batch: a burst is asked for in a few requests, not one per tx. */
const BATCH = 500;

export interface IntakeDeps {
  state: NodeState;
  /** A `rawtx` that is not a transaction. */
  reject(why: string): void;
  /** The RPC failed (not Core's answer): the transactions of that batch need a resync. */
  rpcFailed(error: Error): void;
  /**
   * Transactions above this value (sats) get the addresses and values of their inputs from the
   * UTXO set before they are announced (see {@link fillPrevouts}); null: none do.
   */
  prevoutFloor(): number | null;
}

/** New transactions from `rawtx`, completed by `getmempoolentry`, published in arrival order. */
export interface Intake {
  /** A `rawtx` notification's body. */
  rawtx(bytes: Uint8Array): void;
  /** Resolves when every transaction received so far is processed. */
  idle(): Promise<void>;
  /**
   * Take in a transaction of a mempool snapshot (a resync), without announcing it. Returns
   * whether it was taken: not when it is known, was mined or removed since the snapshot, or
   * conflicts with a live transaction the node still has (then the snapshot's is the stale one).
   * A live transaction it conflicts with that the node removed was replaced by it: `tx.replaced`.
   */
  take(facts: RawFacts, entry: RpcMempoolEntry): boolean;
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

  const replace = (conflicts: string[], byTxid: string) => {
    for (const replaced of conflicts) {
      const old = state.forget(replaced);
      if (old) state.publish('tx.replaced', { txid: replaced, byTxid, fullRbf: !old.rbfSignaling });
    }
  };

  // A live transaction is the newest fact: whatever it conflicts with was replaced by it.
  const settle = (facts: RawFacts, entry: unknown) => {
    if (!isMempoolEntry(entry)) return d.reject(`getmempoolentry ${facts.txid}: not a mempool entry`);
    // Mined while its entry was asked for (the block's processing came first).
    if (state.pool.has(facts.txid) || state.mined.has(facts.txid)) return;
    replace(state.pool.conflicts(spendsOf(facts.inputs), facts.txid), facts.txid);
    state.admit(facts, entry);
    if (!state.seen.has(facts.txid)) state.announce(txSeenOf(facts, entry));
  };

  const take = (facts: RawFacts, entry: RpcMempoolEntry): boolean => {
    const { txid } = facts;
    if (state.pool.has(txid) || state.mined.has(txid) || state.removed.has(txid)) return false;
    const conflicts = state.pool.conflicts(spendsOf(facts.inputs), txid);
    if (conflicts.some((c) => !state.removed.has(c))) return false;
    replace(conflicts, txid);
    state.admit(facts, entry);
    return true;
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
      const floor = d.prevoutFloor();
      if (floor !== null)
        await fillPrevouts(
          state.rpc,
          batch.filter(
            (f, i) =>
              f.valueSats > floor &&
              'result' in answers[i]! &&
              !state.seen.has(f.txid) &&
              !state.pool.has(f.txid),
          ),
          state.network,
        );
      answers.forEach((a, i) => {
        const facts = batch[i]!;
        if ('result' in a) settle(facts, a.result);
        else if (!isRpcError(a.error, NOT_FOUND))
          d.reject(`getmempoolentry ${facts.txid}: ${(a.error as Error).message}`);
      });
    }
  };
  const kick = () => {
    if (running) return;
    running = drain()
      .catch((error: Error) => d.reject(`the intake failed: ${error.message}`))
      .finally(() => {
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
    take,
  };
}
