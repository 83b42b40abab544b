import type { ProjectedTx } from './types.js';

/** Number of projected blocks a client may track (`MEMPOOL_BLOCKS_AMOUNT`). */
export const MEMPOOL_BLOCKS_AMOUNT = 8;

/** `MempoolDeltaChange`: [txid, rate, flags, acc]. */
export type DeltaChange = [string, number, number, 0 | 1];

/** The `delta` of a `projected-block-transactions` frame. */
export interface ProjectedDelta {
  added: ProjectedTx[];
  removed: string[];
  changed: DeltaChange[];
}

function diff(before: ProjectedTx[], after: ProjectedTx[]): ProjectedDelta {
  const old = new Map(before.map((t) => [t[0], t]));
  const now = new Set(after.map((t) => t[0]));
  const delta: ProjectedDelta = { added: [], removed: [], changed: [] };
  for (const tx of after) {
    const prev = old.get(tx[0]);
    if (!prev) delta.added.push(tx);
    else if (prev[4] !== tx[4] || prev[5] !== tx[5]) delta.changed.push([tx[0], tx[4], tx[5], 0]);
  }
  for (const tx of before) if (!now.has(tx[0])) delta.removed.push(tx[0]);
  return delta;
}

/**
 * Projected-block transactions with mempool-blocks.ts' delta logic: the state set by the test is compared,
 * at every push, with the state of the previous push.
 */
export class ProjectedBlocks {
  private current = new Map<number, ProjectedTx[]>();
  private previous = new Map<number, ProjectedTx[]>();

  set(index: number, txs: ProjectedTx[]): void {
    this.current.set(
      index,
      txs.map((t): ProjectedTx => [...t]),
    );
  }

  get(index: number): ProjectedTx[] {
    return this.current.get(index) ?? [];
  }

  /** Drop txs that left the mempool (removed, replaced or mined) from every projected block. */
  drop(txids: ReadonlySet<string>): void {
    for (const [index, txs] of this.current) {
      this.current.set(
        index,
        txs.filter((t) => !txids.has(t[0])),
      );
    }
  }

  /** Deltas since the previous push, per existing projected block (index < blockCount or set by the test). */
  takeDeltas(blockCount: number): Map<number, ProjectedDelta> {
    const deltas = new Map<number, ProjectedDelta>();
    for (let i = 0; i < MEMPOOL_BLOCKS_AMOUNT; i++) {
      if (i < blockCount || this.current.has(i)) deltas.set(i, diff(this.previous.get(i) ?? [], this.get(i)));
    }
    this.previous = new Map([...this.current].map(([i, txs]) => [i, [...txs]]));
    return deltas;
  }
}
