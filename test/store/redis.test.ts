import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { leaseKeys } from '../../src/engine/lease.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { putDocument, openRedisStore, storeKeys } from '../../src/store/redis.js';
import { followRedisStore } from '../../src/store/redis-follow.js';
import { until } from '../helpers/deployment.js';
import { hasRedis, startRedis } from '../helpers/redis.js';

// Issue 18: the storage port on Redis for the deployment's leader — what one leader wrote, the
// next one reads in the same order; a writer whose fencing token is no longer the latest is
// refused whole, and told once.

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup() {
  const server = await startRedis();
  cleanups.push(() => server.stop());
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // the test with Redis gone expects its connection errors
  cleanups.push(() => redis.quit().catch(() => redis.disconnect()));
  const lead = async () => redis.incr(leaseKeys('d').fence);
  return { server, redis, lead };
}

describe.skipIf(!hasRedis)('the Redis store (redis-server)', () => {
  it('a later leader reads what an earlier one flushed, in insertion order', async () => {
    const { redis, lead } = await setup();
    const first = await openRedisStore({ redis, deployment: 'd', token: await lead() });
    const outbox = first.collection<{ n: number }>('outbox');
    for (let n = 0; n < 200; n++) outbox.put(`evt_${199 - n}`, { n });
    outbox.put('evt_150', { n: -1 }); // replaced in place: keeps its position
    outbox.delete('evt_0');
    first.collection('chat').put('m1', { messageId: 42 });
    await first.close();

    const second = await openRedisStore({ redis, deployment: 'd', token: await lead() });
    const ids = [...second.collection<{ n: number }>('outbox').entries()].map(([id]) => id);
    expect(ids).toHaveLength(199);
    expect(ids.slice(0, 3)).toEqual(['evt_199', 'evt_198', 'evt_197']);
    expect(ids.at(-1)).toBe('evt_1');
    expect(second.collection<{ n: number }>('outbox').get('evt_150')).toEqual({ n: -1 });
    expect(ids.indexOf('evt_150')).toBe(49);
    expect(second.collection('chat').get('m1')).toEqual({ messageId: 42 });
    expect(second.collections().sort()).toEqual(['chat', 'outbox']);
    // Another deployment on the same Redis sees none of it.
    const other = await openRedisStore({ redis, deployment: 'e', token: 0 });
    expect(other.collections()).toEqual([]);
  });

  it('a stale fencing token is refused whole: nothing lands, onFenced once, later flushes refused too', async () => {
    const { redis, lead } = await setup();
    const fenced: number[] = [];
    const old = await openRedisStore({
      redis,
      deployment: 'd',
      token: await lead(),
      onFenced: () => fenced.push(1),
    });
    old.collection('outbox').put('evt_a', { ok: true });
    await old.flush();
    await lead(); // another instance takes over
    old.collection('outbox').put('evt_b', { stale: true });
    old.collection('outbox').delete('evt_a');
    await expect(old.flush()).rejects.toMatchObject({ code: 'SPOUT_STORE_FENCED' });
    old.collection('outbox').put('evt_c', { stale: true });
    await expect(old.flush()).rejects.toMatchObject({ code: 'SPOUT_STORE_FENCED' });
    expect(fenced).toEqual([1]);
    expect(await redis.hgetall(storeKeys('d').docs('outbox'))).toEqual({ evt_a: '{"ok":true}' });
  });

  it('Redis gone: the flush rejects saying so and the changes are kept for the next one', async () => {
    const { redis, lead, server } = await setup();
    const store = await openRedisStore({ redis, deployment: 'd', token: await lead() });
    await server.stop();
    store.collection('outbox').put('evt_a', { n: 1 });
    const error = await store.flush().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SPOUT_ENGINE_UNREACHABLE' });
    expect((error as Error).message).toMatch(/kept and written at the next flush/);
    expect(store.collection('outbox').get('evt_a')).toEqual({ n: 1 });
  });

  it('Redis gone at close: it waits closeWaitMs for Redis, then says what was not written; checks fail at once', async () => {
    const { redis, lead, server } = await setup();
    const store = await openRedisStore({ redis, deployment: 'd', token: await lead(), closeWaitMs: 600 });
    await server.stop();
    const outbox = store.collection('outbox');
    outbox.put('evt_a', { n: 1 });
    outbox.put('evt_b', { n: 2 });
    // Not queued for a reconnection (ioredis would hold it through its retries): refused now.
    await expect(store.fence()).rejects.toThrow(/fencing token in Redis .*not connected/);
    await expect(store.flush()).rejects.toThrow(/not connected/);
    const error = (await store.close().catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('SPOUT_ENGINE_UNREACHABLE');
    expect(error.message).toMatch(/unreachable for 0.6 s while this instance stopped: 2 change\(s\)/);
    expect(error.message).toMatch(/sends again the deliveries it finds unfinished/);
  });

  it('a follower’s copy follows the leader’s writes (puts, replacements, deletes, a command’s document), also across a Redis restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-follow-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const server = await startRedis({ aof: dir });
    cleanups.push(() => server.stop());
    const redis = new Redis(server.url);
    redis.on('error', () => {});
    cleanups.push(() => redis.quit().catch(() => redis.disconnect()));
    const leader = await openRedisStore({
      redis,
      deployment: 'd',
      token: await redis.incr(leaseKeys('d').fence),
    });
    leader.collection('outcomes').put('before', { status: 'confirmed' });
    await leader.flush();

    const copy = await followRedisStore(redis, 'd', pino({ level: 'silent' }));
    cleanups.push(() => copy.stop());
    const outcomes = copy.store.collection<{ status: string }>('outcomes');
    expect(outcomes.get('before')).toEqual({ status: 'confirmed' });
    leader.collection('outcomes').put('w1', { status: 'confirmed' });
    leader.collection('outcomes').put('before', { status: 'replaced' });
    leader.collection('predictions').put('w2', { status: 'pending' });
    await leader.flush();
    await until(() => outcomes.get('w1') !== undefined, 'the new outcome');
    expect(outcomes.get('before')).toEqual({ status: 'replaced' });
    expect(copy.store.collection('predictions').get('w2')).toEqual({ status: 'pending' });
    leader.collection('predictions').delete('w2');
    await leader.flush();
    await until(() => !copy.store.collection('predictions').has('w2'), 'the deletion');
    await putDocument(redis, 'd', 'tokens', 'jti-1', { revokedAt: 'now' });
    await until(() => copy.store.collection('tokens').has('jti-1'), 'a command’s document');

    await server.restart();
    await until(() => redis.status === 'ready', 'reconnected');
    leader.collection('outcomes').put('w3', { status: 'dropped' });
    await leader.flush();
    await until(() => outcomes.get('w3') !== undefined, 'a write after the restart');
    expect([...outcomes.entries()].map(([id]) => id).sort()).toEqual(['before', 'w1', 'w3']);
  });
});
