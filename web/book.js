// The whales the page shows, keyed by txid: live events and REST back-fill merge into it in any
// order and any number of times (a reconnect overlaps what was already seen), and a settled
// whale never turns pending again.

const SETTLED = new Set(['confirmed', 'replaced', 'dropped', 'unknown']);

/**
 * A bounded book of whales. `apply` takes a WebSocket envelope, `merge` a page of
 * `/api/whales`; both return whether anything visible changed.
 */
export function createWhaleBook(limit = 500) {
  const rows = new Map();

  const evict = () => {
    if (rows.size <= limit) return;
    // Oldest settled first, then oldest pending.
    const all = [...rows.values()].sort(
      (a, b) => Number(SETTLED.has(b.status)) - Number(SETTLED.has(a.status)) || a.at - b.at,
    );
    for (const row of all.slice(0, rows.size - limit)) rows.delete(row.txid);
  };

  const settle = (row, status, outcome, settledAt) => {
    if (SETTLED.has(row.status)) return false;
    row.status = status;
    row.outcome = outcome;
    row.settledAt = settledAt;
    return true;
  };

  const add = (whale, status) => {
    const at = Date.parse(whale.detectedAt);
    const row = { txid: whale.txid, at: Number.isFinite(at) ? at : Date.now(), whale: { ...whale }, status };
    rows.set(whale.txid, row);
    evict();
    return row;
  };

  return {
    apply(event) {
      const data = event.data ?? {};
      const row = rows.get(data.txid);
      switch (event.type) {
        case 'whale.detected':
          if (row) return false;
          add(data, 'pending');
          return true;
        case 'whale.updated':
          if (!row || row.status !== 'pending') return false;
          row.whale = { ...row.whale, urgency: data.urgency, eta: data.eta };
          return true;
        case 'whale.confirmed':
        case 'whale.replaced':
        case 'whale.dropped':
          // A settlement of a whale never seen here: the next back-fill brings it with its value.
          return row ? settle(row, event.type.slice('whale.'.length), data, event.time) : false;
        default:
          return false;
      }
    },
    merge(whales) {
      let changed = false;
      for (const w of whales) {
        const row = rows.get(w.txid);
        const status = w.status ?? 'pending';
        if (!row) {
          const added = add(w, 'pending');
          if (SETTLED.has(status)) settle(added, status, {}, w.settledAt);
          changed = true;
        } else if (SETTLED.has(status))
          changed = settle(row, status, row.outcome ?? {}, w.settledAt) || changed;
      }
      return changed;
    },
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
