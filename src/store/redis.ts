import type { Redis } from 'ioredis';
import { sentence } from '../engine/words.js';
import { leaseKeys } from '../engine/lease.js';
import { createError } from '../kernel/errors.js';
import { createGroupCommit } from './group-commit.js';
import { createCollection, type StoreData } from './memory.js';
import type { Collection, Store } from './port.js';

export interface RedisStoreOptions {
  redis: Redis;
  deployment: string;
  /** The fencing token this instance leads with; every write carries it. */
  token: number;
  /** Coalescing window: changes within it become one write. Default 20 ms. */
  flushDelayMs?: number;
  /** Called when a background write fails (once per outage); the changes stay pending unless fenced. */
  onError?: (error: unknown) => void;
  /** While Redis is unreachable, how often pending changes are tried again. Default 500 ms. */
  retryMs?: number;
  /** How long `close()` keeps trying to write what is pending while Redis is unreachable. Default 10 s. */
  closeWaitMs?: number;
  /** Called once when Redis refuses a write for a stale token: another instance leads now. */
  onFenced?: () => void;
}

/** The Redis keys of a deployment's store. */
export const storeKeys = (deployment: string) => ({
  names: `spout:${deployment}:store`,
  docs: (collection: string) => `spout:${deployment}:store:${collection}`,
  order: (collection: string) => `spout:${deployment}:store:${collection}:order`,
  seq: `spout:${deployment}:store-seq`,
  /** A stream of what each write changed (collection, id pairs): followers keep their copy by it. */
  changes: `spout:${deployment}:store:changes`,
});

/** Entries the change stream keeps (about): a follower further behind reloads the store. */
const CHANGES_KEPT = 10_000;

// One batch, applied whole or not at all: first the fence (the writer's token must still be the
// deployment's latest), then each op. ARGV: token, prefix, kept, then triples (collection, id,
// json); an empty json deletes. Insertion order is a sorted set scored by a counter (a put of an
// existing id keeps its place, as a Map does); Redis hashes lose order once they grow. What the
// batch changed goes to the change stream, one entry of (collection, id) pairs.
const APPLY = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local prefix = ARGV[2]
local changed = {}
for i = 4, #ARGV, 3 do
  local c, id, json = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local docs = prefix .. ':' .. c
  if json == '' then
    redis.call('HDEL', docs, id)
    redis.call('ZREM', docs .. ':order', id)
  else
    if redis.call('HSET', docs, id, json) == 1 then
      redis.call('ZADD', docs .. ':order', redis.call('INCR', KEYS[2]), id)
    end
    redis.call('SADD', KEYS[3], c)
  end
  changed[#changed + 1] = c
  changed[#changed + 1] = id
end
if #changed > 0 then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', unpack(changed))
end
return 1`;

/** Ops per script call: bounds the time Redis is busy with one batch. */
const BATCH = 1000;

/**
 * The storage port on Redis (`engine: redis`), for the instance that leads the deployment.
 * Reads are served from memory, loaded whole at open (the leader is the only writer, so its copy
 * is the truth while it leads); changes are coalesced and written in batches (group commit, as
 * the file store). Every batch is **fenced**: a Lua script applies it only if `token` is still
 * the deployment's latest fencing token. A resolved `flush()` means Redis has applied the batch
 * (durable as Redis's own persistence: AOF `everysec` loses at most a second on a power cut).
 *
 * Errors: a refused batch rejects `flush()` with `SPOUT_STORE_FENCED`, calls `onFenced` once and
 * drops every pending change (nothing stale may land later); a connection error rejects with
 * `SPOUT_ENGINE_UNREACHABLE` and keeps the changes for the next flush.
 */
export async function openRedisStore(options: RedisStoreOptions): Promise<Store> {
  const { redis, deployment, token } = options;
  const keys = storeKeys(deployment);
  const fence = leaseKeys(deployment).fence;
  const delay = options.flushDelayMs ?? 20;
  const data: StoreData = await loadStoreData(redis, keys);

  let fenced = false;
  let closed = false;
  const retryMs = options.retryMs ?? 500;
  const fencedError = () =>
    createError(
      'SPOUT_STORE_FENCED',
      `Redis refused a write of deployment "${deployment}" with fencing token ${token}: another instance leads it now. This instance steps down.`,
    );
  const fencedNow = () => {
    if (fenced) return;
    fenced = true;
    commit.clear();
    options.onFenced?.();
  };

  // While Redis is away a command would wait in ioredis's queue for reconnections before it
  // fails: a write or a fence check fails at once instead (a write is kept and tried again),
  // so that nothing — a stopping leader least of all — waits on a connection known to be down.
  const connected = async (): Promise<void> => {
    if (redis.status !== 'ready') throw new Error(`not connected (${redis.status})`);
  };

  const write = async (ops: Array<[string, string, string]>): Promise<void> => {
    if (fenced) throw fencedError();
    try {
      await connected();
      for (let i = 0; i < ops.length; i += BATCH) {
        const args = ops.slice(i, i + BATCH).flat();
        const applied = await redis.eval(
          APPLY,
          4,
          fence,
          keys.seq,
          keys.names,
          keys.changes,
          String(token),
          keys.names,
          String(CHANGES_KEPT),
          ...args,
        );
        if (applied !== 1) fencedNow();
        if (fenced) throw fencedError();
      }
    } catch (cause) {
      if (fenced) throw cause;
      throw createError(
        'SPOUT_ENGINE_UNREACHABLE',
        `Could not write the store to Redis (deployment "${deployment}"): ${sentence(cause)} The changes are kept and written at the next flush.`,
        {},
        cause,
      );
    }
  };
  // Kept after a connection error (tried again until Redis is back), dropped once fenced.
  const commit = createGroupCommit({
    delayMs: delay,
    write,
    keep: () => !fenced,
    retryMs,
    onError: (error) => !fenced && options.onError?.(error),
  });
  const flush = (): Promise<void> => (fenced ? Promise.reject(fencedError()) : commit.flush());

  const changed = (collection: string, id: string, doc: unknown, deleted: boolean): void => {
    if (closed || fenced) return;
    commit.change(`${collection}\0${id}`, [collection, id, deleted ? '' : JSON.stringify(doc)]);
  };

  return {
    collection<T>(name: string): Collection<T> {
      let map = data.get(name);
      if (!map) data.set(name, (map = new Map()));
      return createCollection<T>(name, map, changed);
    },
    collections: () => [...data.keys()].filter((n) => (data.get(n)?.size ?? 0) > 0),
    flush,
    async fence() {
      const latest = fenced
        ? null
        : await connected()
            .then(() => redis.get(fence))
            .catch((cause: unknown) => {
              throw createError(
                'SPOUT_ENGINE_UNREACHABLE',
                `Could not check the fencing token in Redis (deployment "${deployment}"): ${sentence(cause)}`,
                {},
                cause,
              );
            });
      if (latest === String(token)) return;
      fencedNow();
      throw fencedError();
    },
    async close() {
      const waitMs = options.closeWaitMs ?? 10_000;
      const unwritten = (cause: unknown) =>
        createError(
          'SPOUT_ENGINE_UNREACHABLE',
          `Redis stayed unreachable for ${waitMs / 1000} s while this instance stopped: ${commit.size()} change(s) to the store of deployment "${deployment}" (delivery and chat records) were not written. The instance that leads next sends again the deliveries it finds unfinished (same webhook-id) and recovers whales still in the mempool by gap recovery; check Redis (\`redis-cli -u URL ping\`).`,
          {},
          cause,
        );
      const until = performance.now() + waitMs;
      try {
        for (;;) {
          try {
            await flush();
            break;
          } catch (error) {
            // Redis restarting: what is pending is worth waiting for, a while.
            if (fenced) throw error;
            if (performance.now() > until) throw unwritten(error);
            await new Promise((r) => setTimeout(r, retryMs));
          }
        }
      } finally {
        closed = true;
        commit.stop();
      }
    },
    location: `${describeRedis(redis)} (deployment "${deployment}")`,
  };
}

/**
 * Write one document outside the pipeline (a command such as `spout token revoke`): not fenced
 * — it does not act for a leader — and told to the instances by the caller (their copies are
 * in memory). Resolves once Redis has it.
 */
export async function putDocument(
  redis: Redis,
  deployment: string,
  collection: string,
  id: string,
  doc: unknown,
): Promise<void> {
  const keys = storeKeys(deployment);
  await redis.eval(
    PUT,
    5,
    keys.docs(collection),
    keys.order(collection),
    keys.seq,
    keys.names,
    keys.changes,
    id,
    JSON.stringify(doc),
    collection,
    String(CHANGES_KEPT),
  );
}

// One document, its place in the order (kept when it exists), its collection's name, and the
// change for followers.
const PUT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('ZSCORE', KEYS[2], ARGV[1]) == false then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
end
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[4], '*', ARGV[3], ARGV[1])
return 1`;

/** One collection of the deployment as Redis holds it now, in insertion order. */
export async function readCollection<T>(
  redis: Redis,
  deployment: string,
  collection: string,
): Promise<Map<string, T>> {
  const data = await loadStoreData(redis, storeKeys(deployment), [collection]);
  return (data.get(collection) ?? new Map()) as Map<string, T>;
}

/** Every collection of the deployment (or those in `only`), each in insertion order. */
export async function loadStoreData(
  redis: Redis,
  keys: ReturnType<typeof storeKeys>,
  only?: string[],
): Promise<StoreData> {
  const data: StoreData = new Map();
  for (const name of only ?? (await redis.smembers(keys.names))) {
    const [ids, docs] = await Promise.all([
      redis.zrange(keys.order(name), 0, -1),
      redis.hgetall(keys.docs(name)),
    ]);
    const map = new Map<string, unknown>();
    for (const id of ids) if (docs[id] !== undefined) map.set(id, JSON.parse(docs[id]!));
    data.set(name, map);
  }
  return data;
}

/** redis://host:port/db of a connection, never its password. */
export function describeRedis(redis: Redis): string {
  const o = redis.options;
  const scheme = o.tls ? 'rediss' : 'redis';
  return `${scheme}://${o.host ?? '127.0.0.1'}:${o.port ?? 6379}/${o.db ?? 0}`;
}
