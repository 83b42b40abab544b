import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { readStream, type StreamEntry } from '../engine/stream-reader.js';
import { createMemoryStore, type StoreData } from './memory.js';
import type { Store } from './port.js';
import { describeRedis, loadStoreData, storeKeys } from './redis.js';

/**
 * A follower's copy of the deployment's store (`engine: redis`): loaded whole, then kept in step
 * with the leader's writes by the store's change stream — each change read again from Redis —
 * so that what followers serve (`/api/whales`, `/api/stats`, the dashboard, tokens) follows the
 * leader within moments. Its own changes stay in memory. After a read failed (Redis restarting)
 * the copy is loaded whole again, since changes may have been trimmed from the stream meanwhile.
 * `stop` ends the following (the copy stays as it is).
 */
export async function followRedisStore(
  redis: Redis,
  deployment: string,
  log: Logger,
): Promise<{ store: Store; stop(): Promise<void> }> {
  const keys = storeKeys(deployment);
  // Where the stream stands before the load: a change made during it is applied again after.
  const newest = (await redis.xrevrange(keys.changes, '+', '-', 'COUNT', 1)) as StreamEntry[];
  const data: StoreData = await loadStoreData(redis, keys);
  const mapOf = (collection: string) => {
    let map = data.get(collection);
    if (!map) data.set(collection, (map = new Map()));
    return map;
  };
  const apply = async (entries: StreamEntry[]) => {
    const byCollection = new Map<string, Set<string>>();
    for (const [, fields] of entries)
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const ids = byCollection.get(fields[i]!) ?? new Set<string>();
        byCollection.set(fields[i]!, ids.add(fields[i + 1]!));
      }
    for (const [collection, ids] of byCollection) {
      const list = [...ids];
      const docs = await redis.hmget(keys.docs(collection), ...list);
      const map = mapOf(collection);
      list.forEach((id, i) => {
        const json = docs[i];
        if (json === null || json === undefined) map.delete(id);
        else map.set(id, JSON.parse(json));
      });
    }
  };
  // In place: plugins hold collections over these very maps.
  const reload = async () => {
    const fresh = await loadStoreData(redis, keys);
    for (const [name, map] of data) if (!fresh.has(name)) map.clear();
    for (const [name, docs] of fresh) {
      const map = mapOf(name);
      map.clear();
      for (const [id, doc] of docs) map.set(id, doc);
    }
    log.debug('the store copy was read again after Redis was away');
  };
  const stop = readStream(redis, keys.changes, {
    log,
    from: newest[0]?.[0] ?? '0-0',
    handle: apply,
    onResume: reload,
  });
  return {
    store: createMemoryStore(data, `${describeRedis(redis)} (deployment "${deployment}", a follower's copy)`),
    stop,
  };
}
