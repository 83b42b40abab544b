import { type Store, COLLECTIONS } from '../../../src/index.js';
import { SIGNALS } from './signals.js';
import {
  detailsOf,
  pageOf,
  sortedWhales,
  type ApiWhale,
  type Row,
  type WhaleDetails,
  type WhaleQuery,
} from './whales.js';

/**
 * The whales of one store, merged and sorted once and reused until the store changes, so a
 * burst of requests does not rebuild and re-sort 90 days of whales each time.
 */
export interface WhaleIndex {
  /** A page of `/api/whales` (see `pageOf`). */
  list(q: WhaleQuery): { whales: ApiWhale[]; next: Row | null };
  /** `/api/whales/:txid`, or null when no whale `txid` is stored. */
  one(txid: string): WhaleDetails | null;
  /** Note a change to the signals (recorded or pruned), so the next request rebuilds. */
  touch(): void;
}

/** The index of `store`'s whales (built on the first request, rebuilt after a change). */
export function createWhaleIndex(store: Store): WhaleIndex {
  const signals = store.collection(SIGNALS);
  const predictions = store.collection(COLLECTIONS.predictions);
  const outcomes = store.collection(COLLECTIONS.outcomes);
  let generation = 0;
  let cached: { key: string; whales: ReturnType<typeof sortedWhales> } | null = null;
  // The store has no change counter, so the sizes stand in for one. That sees every change the
  // pipeline makes: a whale detected adds a signal (and `touch`), a settlement moves a txid from
  // predictions to outcomes, pruning removes records; records are not rewritten with other values
  // for these fields.
  const current = () => {
    const key = `${generation}:${signals.size}:${predictions.size}:${outcomes.size}`;
    if (cached?.key !== key) cached = { key, whales: sortedWhales(store) };
    return cached.whales;
  };
  return {
    list: (q) => pageOf(current().sorted, q),
    one(txid) {
      const row = current().byTxid.get(txid);
      return row ? detailsOf(store, row) : null;
    },
    touch: () => void generation++,
  };
}
