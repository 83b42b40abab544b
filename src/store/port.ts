/**
 * The storage port. Plugins see only this; the lowdb adapter is the embedded default and
 * another adapter can replace it without touching plugins.
 *
 * Semantics: reads and writes act on memory at once and are visible to every later call in the
 * process; persistence is coalesced (several changes, one file write). `flush()` resolves once
 * every change made before the call is on disk, so a caller that must not lose a record (an
 * outbox entry before its first attempt) awaits it.
 */
export interface Collection<T> {
  get(id: string): T | undefined;
  has(id: string): boolean;
  /** Insert or replace. The document must be JSON-serialisable. */
  put(id: string, doc: T): void;
  delete(id: string): boolean;
  /** Every [id, document] pair, in insertion order. */
  entries(): IterableIterator<[string, T]>;
  readonly size: number;
}

export interface Store {
  /** A named collection, created on first use. */
  collection<T>(name: string): Collection<T>;
  /** Names of the collections that hold data. */
  collections(): string[];
  /** Write pending changes now; resolves when they are on disk. */
  flush(): Promise<void>;
  /**
   * Resolves when this process may still act on what it holds: always for the embedded stores;
   * on Redis, when its fencing token is still the deployment's latest. Awaited before an act
   * that cannot be taken back (a webhook request, a chat post or edit). Rejects with
   * `SPOUT_STORE_FENCED` once another instance leads.
   */
  fence(): Promise<void>;
  /** Flush and release the store. */
  close(): Promise<void>;
  /** Where the data lives, for messages (e.g. the file path). */
  readonly location: string;
}
