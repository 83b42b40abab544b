interface Entry {
  key: string;
  due: number;
  /** Insertion order: breaks ties between equal due times. */
  seq: number;
  /** Taken (its key running): out of the array until {@link DueHeap.restore} puts it back. */
  taken?: boolean;
}

/**
 * Keys by due time, earliest first (ties: the order keys were added; setting a queued key again
 * moves its time, not its place), for a due queue whose ready time is the due time itself: a
 * binary heap with lazy deletion, so that finding what is due costs O(log n) per key rather
 * than a scan of every queued key.
 */
export interface DueHeap {
  set(key: string, due: number): void;
  delete(key: string): void;
  clear(): void;
  /**
   * Up to `free` keys due at `now` or before, earliest first, skipping those `busy` says are
   * running (they stay queued); and the earliest due time of the keys not taken nor busy
   * (Infinity when none), once fewer than `free` were ready. A key taken stays queued (`set`
   * keeps its place) but is not offered again until it is set again or {@link DueHeap.restore}d:
   * a running key costs no heap work on each later take.
   */
  take(now: number, free: number, busy: (key: string) => boolean): { ready: string[]; next: number };
  /** Offer a taken key again at its due time (its task settled leaving it queued); else a no-op. */
  restore(key: string): void;
  /** Entries held, replaced ones not yet dropped included (bounded by about twice the keys). */
  size(): number;
}

export function createDueHeap(): DueHeap {
  const heap: Entry[] = [];
  const live = new Map<string, Entry>();
  let seq = 0;

  const before = (a: Entry, b: Entry) => a.due < b.due || (a.due === b.due && a.seq < b.seq);
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  const push = (entry: Entry) => {
    heap.push(entry);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      swap(i, parent);
      i = parent;
    }
  };
  const pop = (): Entry => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let least = i;
        if (l < heap.length && before(heap[l]!, heap[least]!)) least = l;
        if (r < heap.length && before(heap[r]!, heap[least]!)) least = r;
        if (least === i) break;
        swap(i, least);
        i = least;
      }
    }
    return top;
  };
  // An entry is current while it is the one `live` holds for its key; others are dropped when met.
  const stale = (entry: Entry) => live.get(entry.key) !== entry;

  return {
    set(key, due) {
      const entry = { key, due, seq: live.get(key)?.seq ?? seq++ };
      live.set(key, entry);
      push(entry);
      // Replaced entries due later than now stay until they come up: rebuilt once they dominate
      // (a sorted array is a heap).
      if (heap.length > 2 * live.size + 1024) {
        const current = heap.filter((e) => !stale(e)).sort((a, b) => (before(a, b) ? -1 : 1));
        heap.length = 0;
        for (const e of current) heap.push(e);
      }
    },
    delete: (key) => void live.delete(key),
    clear() {
      heap.length = 0;
      live.clear();
    },
    size: () => heap.length,
    take(now, free, busy) {
      const ready: string[] = [];
      const kept: Entry[] = [];
      let next = Infinity;
      while (heap.length > 0 && ready.length < free) {
        const top = heap[0]!;
        if (stale(top)) {
          pop();
          continue;
        }
        if (top.due > now) {
          next = top.due;
          break;
        }
        pop();
        // Running, and set again meanwhile: offered again once it has settled, so kept.
        if (busy(top.key)) kept.push(top);
        else {
          top.taken = true;
          ready.push(top.key);
        }
      }
      for (const entry of kept) push(entry);
      return { ready, next };
    },
    restore(key) {
      const entry = live.get(key);
      if (!entry?.taken) return;
      entry.taken = false;
      push(entry);
    },
  };
}
