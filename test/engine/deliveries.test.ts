import { afterEach, describe, expect, it } from 'vitest';
import { deployment, detected, idOf, ok, until } from '../helpers/deployment.js';
import { hasRedis, startRedis } from '../helpers/redis.js';

// Issue 18: `spout deliveries` on a deployment — list and show read the delivery queues in Redis
// from any machine with the configuration; retry requeues dead jobs there, for any instance.

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe.skipIf(!hasRedis)('engine: redis — spout deliveries list|show|retry (built CLI)', () => {
  it('lists the dead deliveries from the queues; retry --dead queues them again with no instance running, and the next one delivers them', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const { instance, receiver, command } = await deployment(
      redis,
      cleanups,
      [1, 2].map(detected),
      'leaseTime: 2s',
      '',
      [],
      ', retry: []',
    );
    const rx = await receiver();
    let refusing = true;
    rx.script(() => (refusing ? { status: 400 } : { status: 200 }));
    const a = await instance(rx.url);
    await a.waitFor(/leading deployment .*fencing token 1\)/);
    await until(() => rx.requests.length === 2, 'two refused deliveries');
    let dead: Array<{ id: string; eventId: string }> = [];
    await until(async () => {
      const listed = await command(['deliveries', 'list', '--status', 'dead', '--json']);
      dead = JSON.parse(listed.stdout) as typeof dead;
      return dead.length === 2;
    }, 'two dead deliveries listed from Redis');
    const shown = await command(['deliveries', 'show', dead[0]!.eventId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/#1 .* dead\s+HTTP 400/);
    a.child.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);

    // The jobs are in Redis: a retry needs no running instance, and whichever starts makes them.
    refusing = false;
    const retried = await command(['deliveries', 'retry', '--dead']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toBe('2 delivery(ies) queued again\n');
    const b = await instance(rx.url);
    await until(() => rx.requests.filter(ok).length === 2, 'both delivered on retry');
    expect(new Set(rx.requests.filter(ok).map(idOf))).toEqual(new Set(dead.map((d) => d.eventId)));
    const after = await command(['deliveries', 'show', dead[0]!.eventId]);
    expect(after.stdout).toMatch(/#1 .* dead\s+HTTP 400/);
    expect(after.stdout).toMatch(/#2 .* delivered\s+HTTP 200/);

    b.child.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
  });

  it('spout test records its test delivery in Redis, where spout deliveries list shows it marked [test]', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const { receiver, command } = await deployment(redis, cleanups, [], 'leaseTime: 2s');
    const rx = await receiver();
    const tested = await command(['test', 'hook'], rx.url);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(
      /recorded as a test delivery in Redis at redis:\/\/127\.0\.0\.1:\d+\/? \(deployment "failover"\)/,
    );
    expect(rx.requests.filter(ok)).toHaveLength(1);
    const listed = await command(['deliveries', 'list', '--json']);
    const records = JSON.parse(listed.stdout) as Array<{ eventId: string; test?: boolean; status: string }>;
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ eventId: idOf(rx.requests[0]!), status: 'delivered' });
    expect((await command(['deliveries', 'list'])).stdout).toMatch(/\[test\]/);
  });

  it('a follower makes deliveries too: the leader busy with one, the next is taken by the follower', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const whales = Array.from({ length: 10 }, (_, i) => i + 1);
    const { instance, receiver } = await deployment(
      redis,
      cleanups,
      whales.map(detected),
      'leaseTime: 2s',
      ', intervalMs: 300, delayMs: 2000',
      [],
      ', concurrency: 1',
    );
    const rx = await receiver();
    // A slow endpoint (what a delivery waits for): one instance alone falls behind the feed.
    rx.script(async () => {
      await new Promise((r) => setTimeout(r, 400));
      return { status: 200 };
    });
    const a = await instance(rx.url);
    await a.waitFor(/leading deployment .*fencing token 1\)/);
    const b = await instance(rx.url);
    await b.waitFor('following: another instance leads');
    await until(() => new Set(rx.requests.filter(ok).map(idOf)).size === 10, 'ten delivered', 20_000);
    const delivered = async (port: number) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => /^spout_webhook_deliveries_total\{.*outcome="delivered"/.test(l));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const [byA, byB] = [await delivered(a.port), await delivered(b.port)];
    expect(byB).toBeGreaterThan(0);
    expect(byA + byB).toBeGreaterThanOrEqual(10);

    for (const p of [a, b]) p.child.kill('SIGTERM');
    for (const p of [a, b]) expect((await p.exited).code).toBe(0);
  });
});
