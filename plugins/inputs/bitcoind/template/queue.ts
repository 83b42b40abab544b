/**
 * The "modified" queue of the selection: transactions whose ancestor score changed because some
 * of their ancestors were selected, best first (higher score, then larger uid).
 */
export interface ModifiedQueue {
  /** Enter `i` at its current score, replacing any earlier entry of it. */
  push(i: number): void;
  /** The best entry whose transaction `isLive`, or -1; dead and replaced entries are dropped. */
  peek(isLive: (i: number) => boolean): number;
  /** Take the entry {@link peek} returned out of the queue. */
  pop(): void;
}

/**
 * Create an empty {@link ModifiedQueue} over transactions `0 … size-1` with these `score`s and
 * `uid`s. A binary heap with lazy deletion: a replaced entry stays in the heap, carrying its old
 * score (so the heap order holds) and an outdated version, and is dropped when it surfaces.
 */
export function createModifiedQueue(size: number, score: Float64Array, uid: Float64Array): ModifiedQueue {
  const version = new Uint32Array(size);
  const queued = new Uint8Array(size);
  const heap: Array<{ i: number; score: number; version: number }> = [];
  type Entry = (typeof heap)[number];
  const before = (a: Entry, b: Entry) => (a.score !== b.score ? a.score > b.score : uid[a.i]! > uid[b.i]!);
  const swap = (x: number, y: number) => ([heap[x], heap[y]] = [heap[y]!, heap[x]!]);
  const removeTop = () => {
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    for (let at = 0; ;) {
      const [l, r] = [2 * at + 1, 2 * at + 2];
      let best = at;
      if (l < heap.length && before(heap[l]!, heap[best]!)) best = l;
      if (r < heap.length && before(heap[r]!, heap[best]!)) best = r;
      if (best === at) return;
      swap(at, best);
      at = best;
    }
  };
  return {
    push(i) {
      version[i]!++;
      queued[i] = 1;
      heap.push({ i, score: score[i]!, version: version[i]! });
      for (let at = heap.length - 1; at > 0;) {
        const parent = (at - 1) >> 1;
        if (!before(heap[at]!, heap[parent]!)) return;
        swap(at, parent);
        at = parent;
      }
    },
    peek(isLive) {
      while (heap.length > 0) {
        const top = heap[0]!;
        if (queued[top.i] === 1 && top.version === version[top.i] && isLive(top.i)) return top.i;
        removeTop();
      }
      return -1;
    },
    pop() {
      queued[heap[0]!.i] = 0;
      removeTop();
    },
  };
}
