import { describe, expect, it } from 'vitest';
import { SIGNALS } from '../../../../plugins/jobs/api/signals.js';
import { createWhaleIndex } from '../../../../plugins/jobs/api/whale-index.js';
import {
  pageOf,
  sortedWhales,
  type ApiStatus,
  type Row,
  type WhaleQuery,
} from '../../../../plugins/jobs/api/whales.js';
import { createMemoryStore } from '../../../../src/store/memory.js';
import type { Collection, Store } from '../../../../src/store/port.js';
import { COLLECTIONS, type OutcomeRecord } from '../../../../src/store/records.js';
import { txidOf, whale } from '../../../helpers/ws/whales.js';

/** `store`, counting full scans (`entries()`) per collection. */
function counting(store: Store) {
  const scans: Record<string, number> = {};
  const wrap = <T>(name: string, c: Collection<T>): Collection<T> => ({
    get: (id) => c.get(id),
    has: (id) => c.has(id),
    put: (id, doc) => c.put(id, doc),
    delete: (id) => c.delete(id),
    entries: () => ((scans[name] = (scans[name] ?? 0) + 1), c.entries()),
    get size() {
      return c.size;
    },
  });
  return {
    store: { ...store, collection: <T>(name: string) => wrap(name, store.collection<T>(name)) },
    scans,
  };
}

const outcome = (n: number, status: OutcomeRecord['status']): OutcomeRecord => ({
  txid: txidOf(n),
  detectedAt: whale(n).detectedAt,
  settledAt: whale(n + 30).detectedAt,
  status,
  valueSats: whale(n).valueSats,
  predictedBlocks: 2,
  urgencyLevel: 'medium',
  score: 0.5,
});

describe('REST API: whale index', () => {
  it('merges and sorts once for a burst of requests; a new outcome, prediction or signal is seen at once', () => {
    const { store, scans } = counting(createMemoryStore());
    const signals = store.collection(SIGNALS);
    for (let n = 0; n < 50; n++) signals.put(txidOf(n), whale(n));
    const index = createWhaleIndex(store);
    for (let i = 0; i < 100; i++) index.list({ limit: 10 });
    for (let i = 0; i < 100; i++) index.one(txidOf(i % 50));
    expect([scans[SIGNALS], scans[COLLECTIONS.predictions], scans[COLLECTIONS.outcomes]]).toEqual([1, 1, 1]);

    store.collection<OutcomeRecord>(COLLECTIONS.outcomes).put(txidOf(49), outcome(49, 'confirmed'));
    expect(index.list({ limit: 1 }).whales[0]).toMatchObject({ txid: txidOf(49), status: 'confirmed' });
    store.collection(COLLECTIONS.predictions).put(txidOf(60), {
      txid: txidOf(60),
      detectedAt: whale(60).detectedAt,
      firstSeen: whale(60).firstSeen,
      valueSats: whale(60).valueSats,
      feeRate: 7,
    });
    expect(index.list({ limit: 1 }).whales[0]).toMatchObject({ txid: txidOf(60), feeRate: 7 });
    signals.put(txidOf(70), whale(70));
    index.touch(); // what the api job does when it records a signal
    expect(index.one(txidOf(70))?.whale.txid).toBe(txidOf(70));
    expect(scans[SIGNALS]).toBe(4);
  });

  it('pages exactly as filtering and sorting every whale would (random whales and queries)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const store = createMemoryStore();
    const statuses: ApiStatus[] = ['pending', 'confirmed', 'replaced', 'dropped', 'unknown'];
    for (let n = 0; n < 300; n++) {
      // Several whales share a detection time: the txid breaks the tie.
      const w = {
        ...whale(n, 100 + Math.floor(random() * 100)),
        detectedAt: whale(Math.floor(n / 3)).detectedAt,
      };
      store.collection(SIGNALS).put(w.txid, w);
      const status = statuses[Math.floor(random() * statuses.length)] as ApiStatus;
      if (status !== 'pending')
        store
          .collection(COLLECTIONS.outcomes)
          .put(w.txid, { ...outcome(n, status), detectedAt: w.detectedAt });
    }
    const { sorted } = sortedWhales(store);
    const reference = (q: WhaleQuery) => {
      const matching = [...sorted]
        .filter(
          (r) =>
            (q.since === undefined || r.at >= q.since) &&
            (q.until === undefined || r.at < q.until) &&
            (q.minBtc === undefined || r.whale.valueBtc >= q.minBtc) &&
            (q.status === undefined || q.status.has(r.whale.status)) &&
            (q.after === undefined ||
              r.at < q.after.at ||
              (r.at === q.after.at && r.whale.txid < q.after.txid)),
        )
        .sort((a, b) => b.at - a.at || (a.whale.txid < b.whale.txid ? 1 : -1));
      return { whales: matching.slice(0, q.limit).map((r) => r.whale), more: matching.length > q.limit };
    };
    const at = (n: number) => Date.parse(whale(n).detectedAt);
    for (let i = 0; i < 300; i++) {
      const q: WhaleQuery = { limit: 1 + Math.floor(random() * 40) };
      if (random() < 0.4) q.since = at(Math.floor(random() * 100));
      if (random() < 0.4) q.until = at(Math.floor(random() * 100));
      if (random() < 0.4) q.minBtc = 100 + Math.floor(random() * 100);
      if (random() < 0.4) q.status = new Set(statuses.filter(() => random() < 0.5));
      if (random() < 0.5) {
        const r = sorted[Math.floor(random() * sorted.length)] as Row;
        q.after = { at: r.at, txid: random() < 0.5 ? r.whale.txid : txidOf(1000 + i) };
      }
      const got = pageOf(sorted, q);
      const want = reference(q);
      expect(got.whales).toEqual(want.whales);
      expect(got.next !== null).toBe(want.more);
      if (got.next) expect(got.next.whale).toBe(got.whales.at(-1));
    }
  });
});
