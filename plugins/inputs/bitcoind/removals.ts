import type { RemovalReason } from '../../../src/index.js';
import type { PoolEntry } from './mempool.js';
import type { NodeState } from './state.js';

/** The longest a removal waits for a later notification before it is decided anyway. */
const PATIENCE_MS = 10_000;

/** Core's default `-mempoolexpiry`: 336 hours. */
const EXPIRY_S = 336 * 3600;

export interface RemovalDeps {
  state: NodeState;
  /** Resolves when the transactions and blocks received so far are processed. */
  settled(): Promise<void>;
  spentByBlock(outpoints: readonly string[]): boolean;
  /** Core's `mempoolminfee` in sat/vB, or null when it cannot be asked. */
  minFeeRate(): Promise<number | null>;
  /** Wait before deciding a removal was not a replacement (the replacement's `rawtx` follows). */
  graceMs: number;
  /** How many `sequence` notifications were handled so far. */
  sequenceCount(): number;
}

/** Removals (`sequence R`) turned into `tx.removed` unless they were replacements. */
export interface Removals {
  /** Core removed `txid` from its mempool (not mined). */
  removed(txid: string): void;
  stop(): void;
}

/**
 * Core announces a replacement as the replaced transaction's removal (`R`) followed by the
 * replacement (`A`, `rawtx`), and says nothing of why else a transaction left. So a removal waits
 * `graceMs` and until the transactions and blocks already received are processed: if a
 * replacement took it meanwhile (the intake published `tx.replaced`), nothing more; else
 * `tx.removed` with the likeliest reason — `conflict` when a block spent one of its outpoints,
 * `expired` when it was older than Core's default expiry, `evicted` when its fee rate is below
 * the mempool's minimum, else `unknown`.
 */
export function createRemovals(d: RemovalDeps): Removals {
  const { state } = d;
  const timers = new Set<NodeJS.Timeout>();

  const reasonOf = async (e: PoolEntry): Promise<RemovalReason> => {
    if (d.spentByBlock(e.spends)) return 'conflict';
    if (Date.now() / 1000 - e.time >= EXPIRY_S) return 'expired';
    const min = await d.minFeeRate();
    return min !== null && e.feeSats / e.vsize < min ? 'evicted' : 'unknown';
  };

  const decide = async (txid: string) => {
    await d.settled();
    const entry = state.pool.get(txid);
    if (!entry) return; // replaced, mined or resynchronised meanwhile
    const reason = await reasonOf(entry);
    if (!state.forget(txid)) return;
    state.publish('tx.removed', { txid, reason });
  };

  return {
    removed(txid) {
      if (!state.pool.has(txid)) return;
      const mark = d.sequenceCount();
      const since = Date.now();
      const wait = () => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          // A replacement's `A` follows its `R` (with its `rawtx` before it): until a later
          // notification was read, a stalled event loop may not have read the replacement yet.
          if (d.sequenceCount() === mark && Date.now() - since < PATIENCE_MS) return wait();
          void decide(txid).catch(() => {});
        }, d.graceMs);
        timers.add(timer);
      };
      wait();
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
