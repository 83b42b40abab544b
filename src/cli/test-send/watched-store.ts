import { performance } from 'node:perf_hooks';
import { createMemoryStore } from '../../store/memory.js';
import type { Collection, Store } from '../../store/port.js';

/** A memory store and a wait on its changes (see {@link watchedMemoryStore}). */
export interface WatchedStore {
  store: Store;
  until<T>(check: () => T | undefined, deadline: number): Promise<T | undefined>;
}

/**
 * A memory store that says when it changes, and a wait on it: `until(check, deadline)` resolves
 * with `check()`'s first defined value (checked at once, on every change and every 100 ms, for
 * what is not in the store, like the instance's health), or undefined at `deadline`
 * (`performance.now()` time).
 */
export function watchedMemoryStore(): WatchedStore {
  const base = createMemoryStore();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  const store: Store = {
    ...base,
    collection<T>(collectionName: string): Collection<T> {
      const inner = base.collection<T>(collectionName);
      return {
        get: (id) => inner.get(id),
        has: (id) => inner.has(id),
        put(id, doc) {
          inner.put(id, doc);
          changed();
        },
        delete(id) {
          const deleted = inner.delete(id);
          if (deleted) changed();
          return deleted;
        },
        entries: () => inner.entries(),
        get size() {
          return inner.size;
        },
      };
    },
  };
  return {
    store,
    until(check, deadline) {
      const first = check();
      if (first !== undefined) return Promise.resolve(first);
      return new Promise((resolve) => {
        const finish = (value: ReturnType<typeof check>) => {
          clearTimeout(timer);
          clearInterval(tick);
          listeners.delete(poke);
          resolve(value);
        };
        // Checked after the change is complete (a put is followed by others in the same turn).
        const poke = () =>
          queueMicrotask(() => {
            const value = check();
            if (value !== undefined) finish(value);
          });
        listeners.add(poke);
        const tick = setInterval(poke, 100);
        const timer = setTimeout(() => finish(undefined), Math.max(0, deadline - performance.now()));
      });
    },
  };
}
