import { appendFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeliveryAdmin } from '../../src/engine/delivery-admin.js';
import {
  deployment as deploy,
  detected,
  health,
  idOf,
  lines,
  ok,
  txid,
  until,
} from '../helpers/deployment.js';
import { hasRedis, startRedis } from '../helpers/redis.js';

// Issue 18 through the built CLI: three `spout run` processes with `engine: redis` on one
// redis-server form one deployment. One leads (runs the pipeline), the others follow; SIGKILL
// the leader and another leads within the lease time, resumes from the shared store: no
// Telegram message posted twice, the confirmations edit the messages the dead leader posted,
// and every whale reaches the verifying webhook receiver with its stable `webhook-id`.

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function deployment(feedItems: unknown[], engine: string, replay = '') {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  return { ...(await deploy(redis, cleanups, feedItems, engine, replay)), redisUrl: redis.url };
}

describe.skipIf(!hasRedis)('engine: redis — three instances, one leader (built CLI, redis-server)', () => {
  it('SIGKILL the leader: another leads within the lease time, nothing is posted twice, confirmations edit the original messages, every whale is delivered', async () => {
    const { tg, feed, instance, receiver } = await deployment([1, 2, 3].map(detected), 'leaseTime: 2s');
    const rx = await receiver();
    const a = await instance(rx.url);
    await a.waitFor(/leading deployment .*fencing token 1\)/);
    const [b, c] = [await instance(rx.url), await instance(rx.url)];
    await Promise.all([b, c].map((p) => p.waitFor('following: another instance leads')));
    expect((await health(a.port)).body.engine).toMatchObject({ role: 'leader', token: 1, redis: 'up' });
    const follower = await health(b.port);
    expect(follower.status).toBe(200);
    expect(follower.body).toMatchObject({ state: 'running', engine: { role: 'follower', token: null } });

    const posted = await tg.waitFor('sendMessage', 3);
    await until(() => rx.requests.filter((r) => r.status === 200).length >= 3, 'three webhooks delivered');
    const firstIds = new Set(rx.requests.map(idOf));

    // The feed goes on while the leader dies: two whales settle.
    await appendFile(
      feed,
      lines([
        {
          type: 'whale.confirmed',
          data: { txid: txid(1), height: 870123, blocksWaited: 1, minutesWaited: 9, predictedBlocks: 1 },
        },
        { type: 'whale.dropped', data: { txid: txid(2), reason: 'not confirmed within 72h' } },
      ]),
    );
    const killedAt = performance.now();
    a.child.kill('SIGKILL');
    await a.exited;
    const next = await Promise.race(
      [b, c].map((p) => p.waitFor(/leading deployment .*fencing token 2\)/, 15_000).then(() => p)),
    );
    // The lease expires at most 2 s after the last refresh; a follower asks every ~0.7 s.
    expect(performance.now() - killedAt).toBeLessThan(2000 + 1000 + 1000);

    const edits = await tg.waitFor('editMessageText', 2);
    await until(() => rx.requests.filter((r) => r.status === 200).length >= 5, 'the settlements delivered');
    expect(tg.of('sendMessage')).toHaveLength(3);
    const postedIds = new Set(posted.map((_, i) => String(100 + i)));
    for (const e of edits) expect(postedIds.has(String(e.body.message_id))).toBe(true);
    const shown = [...tg.messages.values()];
    expect(shown.some((t) => t.includes('confirmed in block 870,123'))).toBe(true);
    expect(shown.some((t) => t.includes('dropped from the mempool'))).toBe(true);
    // Every whale at least once, each under the same id before and after the failover.
    const delivered = (id: string) =>
      rx.requests.some((r) => idOf(r) === id && r.verified && r.status === 200);
    for (const id of firstIds) expect(delivered(id)).toBe(true);
    expect(new Set(rx.requests.map(idOf)).size).toBe(5);

    for (const p of [b, c]) p.child.kill('SIGTERM');
    expect((await next.exited).code).toBe(0);
    expect((await (next === b ? c : b).exited).code).toBe(0);
  });

  it('SIGSTOP the leader past its lease, another takes over, SIGCONT: the old leader sends nothing (fenced) and steps down', async () => {
    const whales = [1, 2, 3, 4, 5, 6, 7, 8];
    const { tg, instance, receiver, redisUrl } = await deployment(
      whales.map(detected),
      'leaseTime: 1s',
      ', intervalMs: 300',
    );
    const [rxA, rxB] = [await receiver(), await receiver()];
    const a = await instance(rxA.url);
    await a.waitFor(/leading deployment .*fencing token 1\)/);
    const b = await instance(rxB.url);
    await b.waitFor('following: another instance leads');
    await tg.waitFor('sendMessage', 2);
    a.child.kill('SIGSTOP');
    await b.waitFor(/leading deployment .*fencing token 2\)/, 15_000);
    const woke = a.stderr().length;
    a.child.kill('SIGCONT');
    await a.waitFor(/stepping down: .*another instance leads now/);
    await a.waitFor('following: another instance leads');
    await tg.waitFor('sendMessage', 8, 15_000);
    await until(
      () => new Set([...rxA.requests, ...rxB.requests].filter(ok).map(idOf)).size === 8,
      'all delivered',
    );

    // Awake, the old leader made no request and posted nothing; what it tried was refused.
    // (Webhook deliveries are shared work: as a follower it may make some of those the new
    // leader queued — to its own endpoint here, rxA.)
    const after = a.stderr().slice(woke);
    expect(after).not.toMatch(/"msg":"chat (post|edit) done"/);
    expect(after).toMatch(/not sent: .*another instance leads it now/);
    // One delivery per whale was queued: none twice, none by the old leader after the new one's.
    const client = new Redis(redisUrl);
    cleanups.push(() => client.quit());
    const queued = (await createDeliveryAdmin(client, 'failover', ['hook']).read()).outbox;
    expect(queued.map((r) => r.eventId).sort()).toEqual(
      [...new Set([...rxA.requests, ...rxB.requests].filter(ok).map(idOf))].sort(),
    );
    expect(queued).toHaveLength(8);
    // Each whale posted once, in one message.
    expect(tg.of('sendMessage')).toHaveLength(8);
    const texts = tg.of('sendMessage').map((call) => String(call.body.text));
    for (const n of whales) expect(texts.filter((t) => t.includes(txid(n))).length).toBe(1);

    for (const p of [a, b]) p.child.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    expect((await b.exited).code).toBe(0);
  });
  it('SIGTERM the leader: it stops, gives the lease up and says so; a follower leads at once, not at its next try', async () => {
    // leaseTime 10s: a follower tries every 2.5–4.2 s; the notice makes it try at once.
    const { instance, receiver } = await deployment([1].map(detected), 'leaseTime: 10s');
    const rx = await receiver();
    const a = await instance(rx.url);
    await a.waitFor(/leading deployment .*fencing token 1\)/);
    const b = await instance(rx.url);
    await b.waitFor('following: another instance leads'); // its first try failed just now
    const at = performance.now();
    a.child.kill('SIGTERM');
    await b.waitFor(/leading deployment .*fencing token 2\)/);
    expect(performance.now() - at).toBeLessThan(2000);
    expect((await a.exited).code).toBe(0);
    b.child.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
  });
});
