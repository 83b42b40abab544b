import { afterEach, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens.js';
import { AUTH_SECRET, deployment, detected, txid, until } from '../helpers/deployment.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { connect, isType, type TestClient } from '../helpers/ws/client.js';

// Issue 18: the WebSocket feed on every instance of a deployment. Whales the leader detects
// reach clients connected to followers (through the deployment's Redis stream); a client that
// reconnects to another instance with the id of the last event it received gets exactly what
// it missed, then the live feed.

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const txids = (c: TestClient) =>
  c.messages.filter(isType('whale.detected')).map((m) => (m.data as { txid: string }).txid);

describe.skipIf(!hasRedis)('engine: redis — WebSocket fan-out across instances (built CLI)', () => {
  it('a client on a follower gets the leader’s whales; resuming on a third instance gets exactly what it missed', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const whales = Array.from({ length: 10 }, (_, i) => i + 1);
    const { instance, receiver } = await deployment(
      redis,
      cleanups,
      whales.map(detected),
      'leaseTime: 2s',
      // The followers start (each sets up its share of the deliveries too) and their clients
      // connect before the first whale: the replay waits that long on the leader.
      ', intervalMs: 250, delayMs: 6000',
      ['live: { use: websocket }'],
    );
    const rx = await receiver();
    const a = await instance(rx.url);
    await a.waitFor(/leading deployment .*fencing token 1\)/);
    const [b, c] = await Promise.all([instance(rx.url), instance(rx.url)]);
    await Promise.all([b, c].map((p) => p.waitFor('following: another instance leads')));
    const { token } = await createToken({
      secret: AUTH_SECRET,
      sub: 'desk',
      ttlMs: 3_600_000,
      scopes: ['alerts:read'],
    });
    const client = (port: number, resume?: string) => {
      const ws = connect(`ws://127.0.0.1:${port}/ws`, { token, ...(resume ? { resume } : {}) });
      cleanups.push(() => ws.ws.terminate());
      return ws;
    };

    // A watcher on each follower for the whole run; a client on B that leaves after three.
    const [onB, onC] = [client(b.port), client(c.port)];
    const leaver = client(b.port);
    await Promise.all([onB, onC, leaver].map((w) => w.next(isType('auth.ok'))));
    await leaver.count(isType('whale.detected'), 3);
    leaver.ws.close();
    await leaver.closed;
    const last = leaver.messages.filter(isType('whale.detected')).at(-1)!.id as string;
    const seen = txids(leaver);

    await onB.count(isType('whale.detected'), 7);
    const back = client(c.port, last);
    await Promise.all(
      [onB, onC, back].map((w) =>
        w.count(isType('whale.detected'), w === back ? 10 - seen.length : 10, 15_000),
      ),
    );
    const all = whales.map(txid);
    expect(txids(onB)).toEqual(all);
    expect(txids(onC)).toEqual(all);
    expect([...seen, ...txids(back)]).toEqual(all);
    expect(back.messages.find(isType('resumed'))).toMatchObject({ from: last, complete: true });

    for (const p of [a, b, c]) p.child.kill('SIGTERM');
    for (const p of [a, b, c]) expect((await p.exited).code).toBe(0);
  });
});

describe.skipIf(!hasRedis)('engine: redis — token revocation across instances (built CLI)', () => {
  it('`spout token revoke` closes the token’s connections on all three instances within a second', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const { instance, receiver, command } = await deployment(redis, cleanups, [], 'leaseTime: 2s', '', [
      'live: { use: websocket }',
    ]);
    const rx = await receiver();
    const a = await instance(rx.url);
    await a.waitFor(/leading deployment .*fencing token 1\)/);
    const [b, c] = await Promise.all([instance(rx.url), instance(rx.url)]);
    await Promise.all([b, c].map((p) => p.waitFor('following: another instance leads')));

    const created = await command(['token', 'create', '--sub', 'desk', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { token, jti } = JSON.parse(created.stdout) as { token: string; jti: string };
    const listed = await command(['token', 'list', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ jti, sub: 'desk', state: 'active' }),
    ]);
    const clients = [a, b, c].map((p) => {
      const ws = connect(`ws://127.0.0.1:${p.port}/ws`, { token });
      cleanups.push(() => ws.ws.terminate());
      return ws;
    });
    await Promise.all(clients.map((w) => w.next(isType('auth.ok'))));

    // Each close is timed when it happens; the revocation is published before the command ends.
    const closedAt = clients.map((w) => w.closed.then((c) => ({ ...c, at: performance.now() })));
    const revoked = await command(['token', 'revoke', jti]);
    const done = performance.now();
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/revoked; 3 running instance\(s\) told/);
    for (const closed of await Promise.all(closedAt)) {
      expect(closed).toMatchObject({ code: 4401, reason: 'token revoked' });
      expect(closed.at - done).toBeLessThan(1000);
    }
    // And refused from now on, on every instance.
    const again = connect(`ws://127.0.0.1:${c.port}/ws`, { token });
    cleanups.push(() => again.ws.terminate());
    expect((await again.closed).code).toBe(4401);
    expect((await command(['token', 'revoke', 'no-such-jti'])).code).toBe(1);

    for (const p of [a, b, c]) p.child.kill('SIGTERM');
    for (const p of [a, b, c]) expect((await p.exited).code).toBe(0);
  });

  it('the REST API and the dashboard answer on a follower, with the whales the leader detected and how they settled', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const whales = [1, 2, 3, 4];
    // Whale 2 confirms in the block after the four: the leader's correlation job records it.
    // Detected a minute ago by this run's clock (the stats count whales by when they were
    // detected, up to now): the suite runs with the clock shifted.
    const at = new Date(Date.now() - 60_000).toISOString();
    const recent = (n: number) => {
      const item = detected(n);
      return { ...item, data: { ...item.data, firstSeen: at, detectedAt: at } };
    };
    const block = {
      type: 'block.connected',
      data: { height: 900_000, hash: 'ab'.repeat(32), time: at, txids: [txid(2)] },
    };
    const { instance, receiver } = await deployment(
      redis,
      cleanups,
      [...whales.map(recent), block],
      'leaseTime: 2s',
      ', intervalMs: 200, delayMs: 3000',
      ['live: { use: websocket }'],
      '',
      // The limit is the deployment's (shared by the instances): this test asks often.
      ['api: { use: api, rateLimit: 10000 }', 'page: { use: dashboard }', 'links: { use: correlation }'],
    );
    const rx = await receiver();
    const a = await instance(rx.url);
    await a.waitFor(/leading deployment .*fencing token 1\)/);
    const b = await instance(rx.url);
    await b.waitFor('following: another instance leads');
    const { token } = await createToken({
      secret: AUTH_SECRET,
      sub: 'desk',
      ttlMs: 3_600_000,
      scopes: ['api:read'],
    });
    const get = async (port: number, path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, text: await res.text() };
    };
    // Detected by the leader, known to the follower from the deployment's stream.
    await until(async () => {
      const r = await get(b.port, '/api/whales');
      return r.status === 200 && whales.every((n) => r.text.includes(txid(n)));
    }, 'the follower lists the four whales');
    // Settled on the leader after the follower began: its copy of the store follows the leader's.
    await until(async () => {
      const r = await get(b.port, `/api/whales/${txid(2)}`);
      return r.status === 200 && JSON.parse(r.text).whale?.status === 'confirmed';
    }, 'the follower shows whale 2 confirmed');
    const stats = JSON.parse((await get(b.port, '/api/stats')).text);
    expect(stats.total).toMatchObject({ confirmed: 1 });
    const page = await get(b.port, '/');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<html/i);

    for (const p of [a, b]) p.child.kill('SIGTERM');
    for (const p of [a, b]) expect((await p.exited).code).toBe(0);
  });
});
