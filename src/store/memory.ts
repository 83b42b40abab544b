import type { Collection, Store } from './port.js';

/** The collections a store holds, as plain maps; shared by the adapters. */
export type StoreData = Map<string, Map<string, unknown>>;

/** A change to one document, reported to the adapter that persists it. */
export type Change = (collection: string, id: string, doc: unknown, deleted: boolean) => void;

/** Wrap one map as a {@link Collection}, reporting every change. */
export function createCollection<T>(name: string, map: Map<string, unknown>, changed: Change): Collection<T> {
  return {
    get: (id) => map.get(id) as T | undefined,
    has: (id) => map.has(id),
    put(id, doc) {
      map.set(id, doc);
      changed(name, id, doc, false);
    },
    delete(id) {
      const deleted = map.delete(id);
      if (deleted) changed(name, id, undefined, true);
      return deleted;
    },
    entries: () => map.entries() as IterableIterator<[string, T]>,
    get size() {
      return map.size;
    },
  };
}

/**
 * A store that lives in memory only (tests, `spout demo` without persistence), starting with
 * `initial` when given (a follower's copy of the deployment's store).
 */
export function createMemoryStore(initial: StoreData = new Map(), location = 'memory'): Store {
  const data: StoreData = initial;
  const collection = <T>(name: string): Collection<T> => {
    let map = data.get(name);
    if (!map) data.set(name, (map = new Map()));
    return createCollection<T>(name, map, () => {});
  };
  return {
    collection,
    collections: () => [...data.keys()].filter((n) => (data.get(n)?.size ?? 0) > 0),
    flush: async () => {},
    fence: async () => {},
    close: async () => {},
    location,
  };
}
