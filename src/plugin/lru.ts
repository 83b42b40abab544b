import { LRUCache } from 'lru-cache';

/**
 * A least-recently-used cache of at most `capacity` entries that allocates as it fills.
 * lru-cache with `max` allocates its index for `max` entries at once (typed arrays and arrays
 * of that length): the default pipeline's caches held 2 MB that way on a process at rest. Here
 * every entry counts 1 towards `maxSize`, so the bound is the same and the index grows with use.
 * Reads and writes are lru-cache's (`get` refreshes recency, `peek` does not).
 */
export function createLru<K extends {}, V extends {}>(capacity: number): LRUCache<K, V> {
  return new LRUCache<K, V>({ maxSize: Math.max(1, capacity), sizeCalculation: () => 1 });
}
