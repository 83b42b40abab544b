import type { Chain } from './chain.js';
import { fillPrevouts } from './prevouts.js';
import type { Intake } from './intake.js';
import { parseRawTx, type RawFacts } from './parse.js';
import { isMempoolEntry, txSeenOf, type NodeState, type RpcMempoolEntry } from './state.js';

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
  /** The input stopped: a run under way ends without publishing more. */
  stopped(): boolean;
  /** As the intake's: transactions above it get their inputs' addresses and values first. */
  prevoutFloor(): number | null;
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

  /**
   * Fetch `txids` in batches and take each batch in as it comes (the snapshot is not held whole);
   * returns what to announce: at the first run the transactions from `recoverMinSats` up, later
   * every one taken.
   */
  const fetch = async (txids: string[], recovering: boolean) => {
    const toAnnounce: Array<{ facts: RawFacts; entry: RpcMempoolEntry }> = [];
    let taken = 0;
    for (let i = 0; i < txids.length && !d.stopped(); i += BATCH) {
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
        // Left the mempool meanwhile (an error answer), or an answer the input cannot read.
        if (!('result' in raw) || !('result' in entry) || typeof raw.result !== 'string') continue;
        if (!isMempoolEntry(entry.result)) continue;
        let facts: RawFacts;
        try {
          facts = parseRawTx(Buffer.from(raw.result, 'hex'), state.network);
        } catch (error) {
          d.log.warn(
            { txid: part[k] },
            `getrawtransaction ${part[k]}: not a transaction (${(error as Error).message})`,
          );
          continue;
        }
        if (!d.intake.take(facts, entry.result)) continue;
        taken++;
        if (!recovering || facts.valueSats >= d.recoverMinSats)
          toAnnounce.push({ facts, entry: entry.result });
      }
    }
    return { taken, toAnnounce };
  };

  const once = async (): Promise<SyncReport> => {
    const info = await tipOf();
    await d.chain.catchUp(info.blocks, info.bestblockhash);
    // Only what was known before the snapshot can have left by it: a transaction the live intake
    // takes in meanwhile is newer than the snapshot, not gone.
    const before = [...state.pool.txids()];
    const snap = await state.rpc.call<Snapshot>('getrawmempool', [false, true]);
    if (!Array.isArray(snap?.txids) || typeof snap.mempool_sequence !== 'number')
      throw new Error(
        'bitcoind answered getrawmempool without txids and mempool_sequence: Spout needs Bitcoin Core 21 or later',
      );
    state.snapshotSequence = snap.mempool_sequence;
    const inSnapshot = new Set(snap.txids);
    const wanted = snap.txids.filter(
      (t) => !state.pool.has(t) && !state.mined.has(t) && !state.removed.has(t),
    );
    const room = Math.max(0, d.maxTxs - state.pool.size);
    const skipped = Math.max(0, wanted.length - room);
    const recovering = first;
    first = false;
    const { taken, toAnnounce } = await fetch(wanted.slice(0, room), recovering);
    // A block mined after the snapshot: its transactions are not in it, and are not removals.
    const now = await tipOf();
    await d.chain.catchUp(now.blocks, now.bestblockhash);
    await d.chain.idle();
    if (d.stopped()) return { fetched: taken, announced: 0, left: 0, skipped };
    await d.beforeAnnounce();
    const floor = d.prevoutFloor();
    if (floor !== null)
      await fillPrevouts(
        state.rpc,
        toAnnounce
          .filter((t) => t.facts.valueSats > floor && !state.seen.has(t.facts.txid))
          .map((t) => t.facts),
        state.network,
      );
    const order = recovering
      ? toAnnounce.sort((a, b) => b.facts.valueSats - a.facts.valueSats)
      : toAnnounce.sort((a, b) => a.entry.time - b.entry.time);
    let announced = 0;
    for (const { facts, entry } of order) {
      // Not when it left meanwhile (replaced, mined) or was announced live meanwhile.
      if (!state.pool.has(facts.txid) || state.seen.has(facts.txid)) continue;
      announced++;
      state.announce(txSeenOf(facts, entry));
    }
    let left = 0;
    for (const txid of before)
      if (!inSnapshot.has(txid) && !state.mined.has(txid) && state.forget(txid)) {
        left++;
        state.publish('tx.removed', { txid, reason: 'unknown' });
      }
    if (skipped > 0)
      d.log.warn(
        { skipped, maxTxs: d.maxTxs },
        `${skipped} mempool transaction(s) were not fetched (startupMaxTxs): the projected blocks leave them out`,
      );
    return { fetched: taken, announced, left, skipped };
  };

  const tipOf = async () => {
    const info = await state.rpc.call<{ chain?: unknown; blocks?: unknown; bestblockhash?: unknown }>(
      'getblockchaininfo',
    );
    if (typeof info?.blocks !== 'number' || typeof info.bestblockhash !== 'string')
      throw new Error('bitcoind answered getblockchaininfo without blocks and bestblockhash');
    if (info.chain !== d.network)
      throw new Error(
        `bitcoind is on chain "${String(info.chain)}" but the input's network is "${d.network}": set network: ${String(info.chain)}, or point rpcUrl at the right node`,
      );
    return { blocks: info.blocks, bestblockhash: info.bestblockhash };
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
