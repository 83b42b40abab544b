import type { Chain } from './chain.js';
import type { Intake } from './intake.js';
import { parseRawTx, type RawFacts } from './parse.js';
import { txSeenOf, type NodeState, type RpcMempoolEntry } from './state.js';

/** Transactions asked for per request (two calls each: the raw transaction and its entry). */
const BATCH = 250;

export interface SyncDeps {
  state: NodeState;
  chain: Chain;
  intake: Intake;
  /** The chain the options name (`getblockchaininfo`'s `chain`). */
  network: string;
  /** At most this many transactions are fetched per snapshot. */
  maxTxs: number;
  /** At the first snapshot, transactions below this value are not announced. */
  recoverMinSats: number;
  log: { warn(o: object, m: string): void; info(o: object, m: string): void };
  /**
   * The snapshot is taken in, its announcements not made yet: publish the stats first, so the
   * transactions announced (whales already waiting) are valued at the current price and placed
   * in the projected blocks of the whole mempool.
   */
  beforeAnnounce(): Promise<void>;
}

/** What a snapshot did, for the log and the tests. */
export interface SyncReport {
  fetched: number;
  announced: number;
  left: number;
  skipped: number;
}

/** Bringing the input's copy of the mempool and the tip in line with the node. */
export interface Sync {
  /**
   * Line up with the node: catch up on missed blocks, load the mempool snapshot
   * (`getrawmempool false true`, whose `mempool_sequence` tells which later `R` notifications
   * are news), fetch what is missing, drop what left. The first run announces the transactions
   * already waiting from `recoverMinSats` up, most valuable first; later runs (after a gap or a
   * reconnection) announce every missed one, oldest first. Calls during a run make one more run
   * after it. Rejects when the node cannot be asked or is on another chain.
   */
  run(): Promise<SyncReport>;
}

interface Snapshot {
  txids: string[];
  mempool_sequence: number;
}

export function createSync(d: SyncDeps): Sync {
  const { state } = d;
  let first = true;
  let running: Promise<SyncReport> | null = null;
  let again = false;

  const fetch = async (txids: string[]) => {
    const got: Array<{ facts: RawFacts; entry: RpcMempoolEntry }> = [];
    for (let i = 0; i < txids.length; i += BATCH) {
      const part = txids.slice(i, i + BATCH);
      const answers = await state.rpc.batch(
        part.flatMap((txid) => [
          { method: 'getrawtransaction', params: [txid, false] },
          { method: 'getmempoolentry', params: [txid] },
        ]),
      );
      for (let k = 0; k < part.length; k++) {
        const raw = answers[2 * k]!;
        const entry = answers[2 * k + 1]!;
        if (!('result' in raw) || !('result' in entry)) continue; // left the mempool meanwhile
        try {
          const facts = parseRawTx(Buffer.from(String(raw.result), 'hex'), state.network);
          got.push({ facts, entry: entry.result as RpcMempoolEntry });
        } catch (error) {
          d.log.warn(
            { txid: part[k] },
            `getrawtransaction ${part[k]}: not a transaction (${(error as Error).message})`,
          );
        }
      }
    }
    return got;
  };

  const once = async (): Promise<SyncReport> => {
    const info = await state.rpc.call<{ chain: string; blocks: number; bestblockhash: string }>(
      'getblockchaininfo',
    );
    if (info.chain !== d.network)
      throw new Error(
        `bitcoind is on chain "${info.chain}" but the input's network is "${d.network}": set network: ${info.chain}, or point rpcUrl at the right node`,
      );
    await d.chain.catchUp(info.blocks, info.bestblockhash);
    // Only what was known before the snapshot can have left by it: a transaction the live intake
    // takes in meanwhile is newer than the snapshot, not gone.
    const before = [...state.pool.txids()];
    const snap = await state.rpc.call<Snapshot>('getrawmempool', [false, true]);
    state.snapshotSequence = snap.mempool_sequence;
    const inSnapshot = new Set(snap.txids);
    const wanted = snap.txids.filter((t) => !state.pool.has(t) && !state.mined.has(t));
    const room = Math.max(0, d.maxTxs - state.pool.size);
    const skipped = Math.max(0, wanted.length - room);
    const fetched = await fetch(wanted.slice(0, room));
    const recovering = first;
    first = false;
    const order = recovering
      ? fetched.sort((a, b) => b.facts.valueSats - a.facts.valueSats)
      : fetched.sort((a, b) => a.entry.time - b.entry.time);
    for (const { facts, entry } of order) d.intake.take(facts, entry, false);
    await d.beforeAnnounce();
    let announced = 0;
    for (const { facts, entry } of order) {
      if (recovering && facts.valueSats < d.recoverMinSats) continue;
      // Not when it left meanwhile (replaced, mined) or was announced live meanwhile.
      if (!state.pool.has(facts.txid) || state.seen.has(facts.txid)) continue;
      announced++;
      state.announce(txSeenOf(facts, entry));
    }
    let left = 0;
    for (const txid of before)
      if (!inSnapshot.has(txid) && state.forget(txid)) {
        left++;
        state.publish('tx.removed', { txid, reason: 'unknown' });
      }
    if (skipped > 0)
      d.log.warn(
        { skipped, maxTxs: d.maxTxs },
        `${skipped} mempool transaction(s) were not fetched (startupMaxTxs): the projected blocks leave them out`,
      );
    return { fetched: fetched.length, announced, left, skipped };
  };

  const run = (): Promise<SyncReport> => {
    if (running) {
      again = true;
      return running;
    }
    running = once().finally(() => {
      running = null;
      if (again) {
        again = false;
        void run().catch(() => {});
      }
    });
    return running;
  };
  return { run };
}
