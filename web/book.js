// The whales the page shows, keyed by txid: live events and REST back-fill merge into it in any
// order and any number of times (a reconnect overlaps what was already seen), and a settled
// whale never turns pending again. A changed row is a new object, so that unchanged rows are
// skipped by the renderer (memo) even with hundreds of them.

/** The events that settle a whale (it leaves Pending for Settled). */
export const SETTLEMENTS = new Set(['whale.confirmed', 'whale.replaced', 'whale.dropped']);

const SETTLED = new Set(['confirmed', 'replaced', 'dropped', 'unknown']);
/** What a settlement says beyond its txid (the API's `outcome` has the same fields). */
const outcomeOf = ({ txid: _txid, ...figures }) => figures;

/**
 * A bounded book of whales. `apply` takes a WebSocket envelope, `merge` a page of
 * `/api/whales` (`{ older: true }` for a page the reader asked for); both return whether
 * anything visible changed. At most `limit` rows are kept (oldest settled first, then oldest
 * pending); `raise(n)` makes room for `n` more (older pages loaded on demand). Each row gets
 * `seq`, the order in which this page first saw it; rows of older pages get negative ones, so
 * they never count as new.
 */
export function createWhaleBook(limit = 500) {
  const rows = new Map();
  let seq = 0;
  let olderSeq = 0;
  let cap = limit;

  const evict = () => {
    if (rows.size <= cap) return;
    const all = [...rows.values()].sort(
      (a, b) => Number(SETTLED.has(b.status)) - Number(SETTLED.has(a.status)) || a.at - b.at,
    );
    for (const row of all.slice(0, rows.size - cap)) rows.delete(row.txid);
  };

  const put = (row) => rows.set(row.txid, row);

  /** `moved`: settled live while the page watched (the row shows the move). */
  const settle = (row, status, outcome, settledAt, moved = false) => {
    if (SETTLED.has(row.status)) {
      // The same outcome again (a back-fill after the live event): keep what is more complete.
      if (row.status !== status || Object.keys(outcome).length <= Object.keys(row.outcome).length)
        return false;
      put({ ...row, outcome: { ...row.outcome, ...outcome } });
      return true;
    }
    put({ ...row, status, outcome, settledAt: settledAt ?? new Date().toISOString(), moved });
    return true;
  };

  /**
   * `publishedAt`: the live event's time. The age counts from the earlier of it and `detectedAt`:
   * an input on its own clock (the simulator runs ahead of the wall clock) would otherwise show
   * every age as 0 s.
   */
  const add = (whale, status, older = false, publishedAt = undefined) => {
    const at = Date.parse(whale.detectedAt);
    const published = Date.parse(publishedAt);
    const since = Number.isFinite(published) && !(published >= at) ? publishedAt : whale.detectedAt;
    const row = {
      txid: whale.txid,
      since,
      at: Number.isFinite(at) ? at : Date.now(),
      seq: older ? -++olderSeq : ++seq,
      whale: { ...whale },
      status,
      outcome: {},
    };
    put(row);
    // A replaced whale's row links to its replacement once the page has it: give it a new identity to re-render.
    for (const old of whale.rbf?.replaces ?? []) if (rows.has(old)) put({ ...rows.get(old) });
    evict();
    return rows.get(row.txid);
  };

  return {
    apply(event) {
      const data = event.data ?? {};
      const row = rows.get(data.txid);
      // A settlement of a whale never seen here: the next back-fill brings it with its value.
      if (SETTLEMENTS.has(event.type))
        return row
          ? settle(row, event.type.slice('whale.'.length), outcomeOf(data), event.time, true)
          : false;
      switch (event.type) {
        case 'whale.detected':
          if (row) return false;
          add(data, 'pending', false, event.time);
          return true;
        case 'whale.updated':
          if (!row || row.status !== 'pending') return false;
          put({ ...row, whale: { ...row.whale, urgency: data.urgency, eta: data.eta } });
          return true;
        default:
          return false;
      }
    },
    merge(whales, { older = false } = {}) {
      let changed = false;
      for (const w of whales) {
        const row = rows.get(w.txid);
        const status = w.status ?? 'pending';
        if (!row) {
          const added = add(w, 'pending', older);
          if (added && SETTLED.has(status)) settle(added, status, outcomeOf(w.outcome ?? {}), w.settledAt);
          changed = true;
        } else if (SETTLED.has(status))
          changed = settle(row, status, outcomeOf(w.outcome ?? {}), w.settledAt) || changed;
      }
      return changed;
    },
    /** Make room for `n` more rows (a page of older whales the reader asked for). */
    raise(n) {
      cap += n;
    },
    /** The row of a txid, if kept. */
    get: (txid) => rows.get(txid),
    /** The highest `seq` given so far. */
    lastSeq: () => seq,
    /** Every row (any order). */
    all: () => [...rows.values()],
    /** Pending whales, newest first. */
    pending: () => [...rows.values()].filter((r) => r.status === 'pending').sort((a, b) => b.at - a.at),
    /** Settled whales, most recently settled first. */
    settled: () =>
      [...rows.values()]
        .filter((r) => SETTLED.has(r.status))
        .sort((a, b) => (Date.parse(b.settledAt) || b.at) - (Date.parse(a.settledAt) || a.at)),
    /**
     * Where a back-fill after a reconnect starts: the oldest pending whale (its outcome may have
     * arrived meanwhile), else the newest whale; undefined when the book is empty.
     */
    since() {
      let oldestPending = Infinity;
      let newest = -Infinity;
      for (const r of rows.values()) {
        if (r.status === 'pending') oldestPending = Math.min(oldestPending, r.at);
        newest = Math.max(newest, r.at);
      }
      const at = Number.isFinite(oldestPending) ? oldestPending : newest;
      return Number.isFinite(at) ? new Date(at).toISOString() : undefined;
    },
  };
}
