/** A binary min-heap: `pop` returns the least item by `less`. */
export interface Heap<T> {
  size(): number;
  peek(): T | undefined;
  push(item: T): void;
  pop(): T | undefined;
}

/** Create an empty {@link Heap} ordered by `less(a, b)` (true when `a` comes first). */
export function createHeap<T>(less: (a: T, b: T) => boolean): Heap<T> {
  const items: T[] = [];
  const swap = (i: number, j: number) => {
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  };
  return {
    size: () => items.length,
    peek: () => items[0],
    push(item) {
      items.push(item);
      let i = items.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!less(items[i] as T, items[parent] as T)) break;
        swap(i, parent);
        i = parent;
      }
    },
    pop() {
      const top = items[0];
      const last = items.pop();
      if (items.length === 0 || last === undefined) return top;
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && less(items[l] as T, items[m] as T)) m = l;
        if (r < items.length && less(items[r] as T, items[m] as T)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
      return top;
    },
  };
}
