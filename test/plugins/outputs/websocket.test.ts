import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ConfigError } from '../../../src/config/load.js';
import { parseConfig } from '../../helpers/builtins.js';
import { connect, isType, type TestClient } from '../../helpers/ws/client.js';
import { SECRET, startSpout } from '../../helpers/ws/server.js';
import { whale } from '../../helpers/ws/whales.js';

// Real `ws` clients against the output on a kernel's HTTP server on 127.0.0.1. Waits are for
// messages and close events, never sleeps; the 5 s authentication limit runs on fake timers.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length) await cleanups.pop()?.();
});

async function spout(outputOptions = '', extra = '') {
  const s = await startSpout(
    [
      'inputs:',
      '  feed: { use: replay }',
      'outputs:',
      `  live: { use: websocket${outputOptions ? `, ${outputOptions}` : ''} }`,
      extra,
    ].join('\n'),
  );
  cleanups.push(() => s.stop());
  return s;
}

function client(...args: Parameters<typeof connect>): TestClient {
  const c = connect(...args);
  cleanups.push(() => c.ws.terminate());
  return c;
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const claims = (scope = 'alerts:read') => {
  const now = Math.floor(Date.now() / 1000);
  return { sub: 'mallory', jti: 'f5d3c2a1-0000-4000-8000-000000000001', iat: now, exp: now + 3600, scope };
};

describe('websocket output: authentication', () => {
  it('a valid token (first message or Bearer header) gets auth.ok with sub and exp, then every whale of a simulator run, in order', async () => {
    const s = await spout();
    const first = client(s.wsUrl(), { token: await s.token({ sub: 'desk' }) });
    const header = client(s.wsUrl(), { bearer: await s.token({ sub: 'dashboard' }) });
    const ok1 = await first.next(isType('auth.ok'));
    const ok2 = await header.next(isType('auth.ok'));
    expect(ok1).toMatchObject({ type: 'auth.ok', sub: 'desk' });
    expect(ok2).toMatchObject({ type: 'auth.ok', sub: 'dashboard' });
    expect(ok1.exp).toBeGreaterThan(Date.now() / 1000);

    // The simulator joins once both are listening (a reload adds it), so the run is entirely theirs.
    const published: string[] = [];
    s.kernel.bus.tap((e) => void (e.type.startsWith('whale.') && published.push(e.id)));
    const next = await parseConfig(
      [
        'http: { listen: "127.0.0.1:0" }',
        'log: { level: debug, format: json }',
        `auth: { secret: ${JSON.stringify(SECRET)} }`,
        'inputs:',
        '  feed: { use: replay }',
        '  sim: { use: simulator, speed: 200, whalesPerHour: 3000, seed: 3 }',
        'detectors:',
        '  whales: { use: whale }',
        '  urgency: { use: urgency }',
        'outputs:',
        '  live: { use: websocket }',
      ].join('\n'),
      'test.yaml',
      process.cwd(),
      {},
    );
    await s.kernel.reload(next);
    await first.count(isType('whale.detected'), 25);
    // Stopping drains the bus: every whale published reaches the output before it closes.
    await s.stop();
    expect((await first.closed).code).toBe(1001);
    expect((await header.closed).code).toBe(1001);
    expect(published.length).toBeGreaterThanOrEqual(25);
    for (const c of [first, header]) {
      const got = c.messages.filter((m) => String(m.type).startsWith('whale.')).map((m) => m.id);
      expect(got).toEqual(published);
    }
  });

  it('no token: closed with 4408 once 5 s have passed (not before), having received nothing', async () => {
    const s = await spout();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const c = client(s.wsUrl());
    await c.opened;
    s.kernel.bus.publish('whale.detected', whale(1), 'test');
    await s.kernel.bus.drain();
    vi.advanceTimersByTime(4_999);
    // A round trip: had the server closed the connection, the close frame would come first.
    await new Promise((resolve) => (c.ws.once('pong', resolve), c.ws.ping()));
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    vi.advanceTimersByTime(1);
    const closed = await c.closed;
    expect(closed.code).toBe(4408);
    expect(closed.reason).toMatch(/authentication timeout/);
    expect(c.messages).toEqual([]);
  });

  it('refuses expired, wrongly signed, alg none, other-algorithm and malformed tokens with 4401, and a token without alerts:read with 4403', async () => {
    const s = await spout('maxAuthFailures: 100');
    const hs512 = await new SignJWT({ scope: 'alerts:read' })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('mallory')
      .setJti('x')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    const cases: Array<[string, string, number, RegExp]> = [
      [
        'expired',
        await s.token({ now: new Date(Date.now() - 7_200_000), ttlMs: 3_600_000 }),
        4401,
        /token expired/,
      ],
      [
        'wrongly signed',
        await s.token({ secret: 'another-secret-of-enough-length-0123456789' }),
        4401,
        /invalid/,
      ],
      ['alg none', `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`, 4401, /invalid/],
      [
        'alg none, signature kept',
        `${b64url({ alg: 'none' })}.${b64url(claims())}.${(await s.token()).split('.')[2]}`,
        4401,
        /invalid/,
      ],
      ['HS512', hs512, 4401, /invalid/],
      ['not a JWT', 'hello', 4401, /invalid/],
      ['api:read only', await s.token({ scopes: ['api:read'] }), 4403, /alerts:read/],
    ];
    for (const [what, token, code, reason] of cases) {
      for (const how of ['message', 'header'] as const) {
        const c = client(s.wsUrl(), how === 'message' ? { token } : { bearer: token });
        const closed = await c.closed;
        expect({ what, how, ...closed }).toMatchObject({
          what,
          how,
          code,
          reason: expect.stringMatching(reason),
        });
        expect(c.messages).toEqual([]);
      }
    }
    const metrics = await s.kernel.metrics.registry.getSingleMetricAsString('spout_ws_auth_failures_total');
    expect(metrics).toContain('reason="expired"} 2');
    expect(metrics).toContain('reason="invalid"} 10');
    expect(metrics).toContain('reason="scope"} 2');
  }, 30_000);

  it('a first message that is not auth closes with 4401', async () => {
    const s = await spout();
    const c = client(s.wsUrl());
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'subscribe', events: ['whale.detected'] }));
    expect(await c.closed).toMatchObject({
      code: 4401,
      reason: expect.stringMatching(/first message must be/),
    });
  });

  it('after maxAuthFailures failures from an address, its connections are closed with 4429, even with a valid token', async () => {
    const s = await spout('maxAuthFailures: 3');
    for (let i = 0; i < 3; i++) expect((await client(s.wsUrl(), { token: 'bad' }).closed).code).toBe(4401);
    const c = client(s.wsUrl(), { token: await s.token() });
    expect(await c.closed).toMatchObject({ code: 4429, reason: expect.stringMatching(/too many failed/) });
    expect(c.messages).toEqual([]);
  });

  it('closes a connection when its token expires', async () => {
    const s = await spout();
    const c = client(s.wsUrl(), { token: await s.token({ ttlMs: 1_000 }) });
    const ok = await c.next(isType('auth.ok'));
    const closed = await c.closed;
    expect(closed).toMatchObject({ code: 4401, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(Number(ok.exp) * 1000 - 5);
  });

  it('a revocation closes the connections of that token at once and refuses it from then on; other clients stay', async () => {
    const s = await spout();
    const revoked = await s.token({ sub: 'leaked' });
    const a = client(s.wsUrl(), { token: revoked });
    const b = client(s.wsUrl(), { bearer: revoked });
    const other = client(s.wsUrl(), { token: await s.token({ sub: 'other' }) });
    await Promise.all([a, b, other].map((c) => c.next(isType('auth.ok'))));
    const jti = JSON.parse(Buffer.from(revoked.split('.')[1] as string, 'base64url').toString())
      .jti as string;
    const { hub, release } = await s.kernel.tokens.join();
    cleanups.push(release);
    expect(hub.revoke(jti)).toMatchObject({ closed: 2 });
    expect(await a.closed).toMatchObject({ code: 4401, reason: 'token revoked' });
    expect(await b.closed).toMatchObject({ code: 4401, reason: 'token revoked' });
    expect((await client(s.wsUrl(), { token: revoked }).closed).code).toBe(4401);
    s.kernel.bus.publish('whale.detected', whale(1), 'test');
    await other.next(isType('whale.detected'));
    expect(other.ws.readyState).toBe(other.ws.OPEN);
  });
});

describe('websocket output: subscriptions', () => {
  it('subscribe narrows what one client receives (events and filter); the others are unaffected', async () => {
    const s = await spout();
    const narrow = client(s.wsUrl(), { token: await s.token() });
    const all = client(s.wsUrl(), { token: await s.token() });
    await Promise.all([narrow, all].map((c) => c.next(isType('auth.ok'))));
    narrow.ws.send(
      JSON.stringify({ type: 'subscribe', events: ['whale.detected'], filter: { minBtc: 500 } }),
    );
    expect(await narrow.next(isType('subscribed'))).toEqual({
      type: 'subscribed',
      events: ['whale.detected'],
      filter: { minBtc: 500 },
    });
    s.kernel.bus.publish('whale.detected', whale(1, 200), 'test');
    s.kernel.bus.publish('whale.detected', whale(2, 600), 'test');
    s.kernel.bus.publish(
      'whale.confirmed',
      { txid: whale(2).txid, height: 1, blocksWaited: 1, minutesWaited: 3, predictedBlocks: 2 },
      'test',
    );
    await all.count((m) => String(m.type).startsWith('whale.'), 3);
    await s.kernel.bus.drain();
    // A round trip on the narrow client: everything sent to it before has arrived.
    await new Promise((resolve) => (narrow.ws.once('pong', resolve), narrow.ws.ping()));
    const got = narrow.messages.filter((m) => String(m.type).startsWith('whale.'));
    expect(got.map((m) => [m.type, (m.data as { txid: string }).txid])).toEqual([
      ['whale.detected', whale(2).txid],
    ]);
  });

  it('an invalid subscribe is answered with an error and the connection stays', async () => {
    const s = await spout();
    const c = client(s.wsUrl(), { token: await s.token() });
    await c.next(isType('auth.ok'));
    c.ws.send(JSON.stringify({ type: 'subscribe', events: ['whale.typo'] }));
    expect((await c.next(isType('error'))).message).toMatch(
      /events.0 must be equal to one of the allowed values/,
    );
    c.ws.send('not json');
    await c.count(isType('error'), 2);
    s.kernel.bus.publish('whale.detected', whale(1), 'test');
    await c.next(isType('whale.detected'));
  });
});

describe('websocket output: protection', () => {
  it('a client that never reads is dropped once its send buffer passes the bound; memory stays flat and the others receive everything', async () => {
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const s = await spout('sendBufferBytes: 262144');
    const stuck = client(s.wsUrl(), { token: await s.token({ sub: 'stuck' }) });
    const reader = client(s.wsUrl(), { token: await s.token({ sub: 'reader' }), brief: true });
    await Promise.all([stuck, reader].map((c) => c.next(isType('auth.ok'))));
    stuck.ws.pause(); // stops reading its socket: the kernel buffers fill, then the server's
    // Buffers' memory is given back by V8's array-buffer sweeper, which may still be at work
    // when a collection returns: collect, let a turn pass, and collect again. (`external`
    // already includes `arrayBuffers`.)
    const used = async () => {
      gc();
      await new Promise((r) => setImmediate(r));
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const before = await used();
    const N = 2_000; // 2,000 envelopes of 32 KiB: 64 MiB in all
    // At most 16 in flight to the reader: it shares this process with the server, so it can
    // only read while the server is not writing (a remote reader reads concurrently).
    let received = 0;
    reader.ws.on('message', () => void received++);
    for (let i = 0; i < N; i++) {
      s.kernel.bus.publish('whale.detected', whale(i, 150, 32_768), 'test');
      if (i - received >= 16) await reader.count(isType('whale.detected'), i - 8, 30_000);
    }
    await reader.count(isType('whale.detected'), N, 30_000);
    const growth = (await used()) - before;
    const dropped = await s.kernel.metrics.registry.getSingleMetricAsString('spout_ws_clients_dropped_total');
    expect(dropped).toContain('reason="backpressure"} 1');
    expect(reader.messages.filter(isType('whale.detected')).map((m) => m.txid)).toEqual(
      Array.from({ length: N }, (_, i) => whale(i).txid),
    );
    // Unbounded, the stuck client's queue would hold most of the 64 MiB.
    expect(growth).toBeLessThan(16 * 2 ** 20);
    stuck.ws.resume();
    expect((await stuck.closed).code).toBe(1006); // terminated, no closing handshake
    expect(stuck.messages.filter(isType('whale.detected')).length).toBeLessThan(N);
  }, 60_000);

  it('a 1 MiB inbound frame closes that client (1009); the server keeps serving the others', async () => {
    const s = await spout();
    const big = client(s.wsUrl(), { token: await s.token() });
    const other = client(s.wsUrl(), { token: await s.token() });
    await Promise.all([big, other].map((c) => c.next(isType('auth.ok'))));
    big.ws.send(JSON.stringify({ type: 'subscribe', pad: 'x'.repeat(2 ** 20) }));
    expect((await big.closed).code).toBe(1009);
    s.kernel.bus.publish('whale.detected', whale(1), 'test');
    await other.next(isType('whale.detected'));
    const late = client(s.wsUrl(), { token: await s.token() });
    await late.next(isType('auth.ok'));
    // Also before authenticating.
    const anon = client(s.wsUrl());
    await anon.opened;
    anon.ws.send('x'.repeat(2 ** 20));
    expect((await anon.closed).code).toBe(1009);
    expect(
      await s.kernel.metrics.registry.getSingleMetricAsString('spout_ws_clients_dropped_total'),
    ).toContain('reason="oversize"} 2');
  });

  it('a client that stops answering pings is dropped at the next heartbeat', async () => {
    const s = await spout('heartbeat: 1s');
    const dead = client(s.wsUrl(), { token: await s.token(), autoPong: false });
    const alive = client(s.wsUrl(), { token: await s.token() });
    await Promise.all([dead, alive].map((c) => c.next(isType('auth.ok'))));
    expect((await dead.closed).code).toBe(1006);
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
  });

  it('origins: a browser from another origin gets 403; an allowed one and a program without Origin connect', async () => {
    const s = await spout('origins: ["https://desk.example.com"]');
    await expect(client(s.wsUrl(), { origin: 'https://evil.example.com' }).opened).rejects.toThrow(/403/);
    await client(s.wsUrl(), { origin: 'https://desk.example.com' }).opened;
    await client(s.wsUrl()).opened;
  });

  it('maxClients: an upgrade beyond it gets 503', async () => {
    const s = await spout('maxClients: 2');
    await client(s.wsUrl()).opened;
    await client(s.wsUrl()).opened;
    await expect(client(s.wsUrl()).opened).rejects.toThrow(/503/);
  });

  it('maxPendingPerIp: unauthenticated connections from one address beyond it get 429, so they cannot fill maxClients; authenticating or leaving frees a place', async () => {
    const s = await spout('maxPendingPerIp: 2, maxClients: 100');
    const idle = [client(s.wsUrl()), client(s.wsUrl())];
    await Promise.all(idle.map((c) => c.opened));
    const refused = client(s.wsUrl());
    await expect(refused.opened).rejects.toThrow(/429/);
    // The same address with a Bearer header is refused too: it would be pending until checked.
    await expect(client(s.wsUrl(), { bearer: await s.token() }).opened).rejects.toThrow(/429/);
    // Authenticated, a connection no longer holds a place.
    (idle[0] as TestClient).ws.send(JSON.stringify({ type: 'auth', token: await s.token() }));
    await (idle[0] as TestClient).next(isType('auth.ok'));
    const next = client(s.wsUrl(), { token: await s.token() });
    await next.next(isType('auth.ok'));
    // Refused (and so gone), a connection frees its place.
    (idle[1] as TestClient).ws.send('not auth');
    expect((await (idle[1] as TestClient).closed).code).toBe(4401);
    const after = client(s.wsUrl());
    await after.opened;
    expect(
      await s.kernel.metrics.registry.getSingleMetricAsString('spout_ws_upgrades_refused_total'),
    ).toContain('reason="pending_per_ip"} 2');
  });

  it('maxPending: unauthenticated connections beyond it, from any address, get 503; authenticated ones stay', async () => {
    const s = await spout('maxPending: 2, maxPendingPerIp: 10');
    const listening = client(s.wsUrl(), { token: await s.token() });
    await listening.next(isType('auth.ok'));
    await Promise.all([client(s.wsUrl()).opened, client(s.wsUrl()).opened]);
    await expect(client(s.wsUrl()).opened).rejects.toThrow(/503/);
    expect(
      await s.kernel.metrics.registry.getSingleMetricAsString('spout_ws_upgrades_refused_total'),
    ).toContain('reason="max_pending"} 1');
    s.kernel.bus.publish('whale.detected', whale(1), 'test');
    await listening.next(isType('whale.detected'));
  });

  it('reports the connected clients and messages sent in /metrics', async () => {
    const s = await spout();
    const c = client(s.wsUrl(), { token: await s.token() });
    await c.next(isType('auth.ok'));
    s.kernel.bus.publish('whale.detected', whale(1), 'test');
    await c.next(isType('whale.detected'));
    const text = await (await fetch(`${s.base}/metrics`)).text();
    expect(text).toContain('spout_ws_clients{instance="live",state="authenticated"} 1');
    expect(text).toContain('spout_ws_messages_sent_total{instance="live"} 1');
  });
});

describe('websocket output: configuration', () => {
  const load = (auth: string) =>
    parseConfig(
      [
        ...(auth ? [auth] : []),
        'inputs:',
        '  feed: { use: replay }',
        'outputs:',
        '  live:',
        '    use: websocket',
      ].join('\n'),
      'config.yaml',
      process.cwd(),
      {},
    );
  it('a missing auth.secret is a configuration error at the instance, saying how to fix it', async () => {
    const error = (await load('').catch((e: unknown) => e)) as ConfigError;
    expect(error.code).toBe('SPOUT_CONFIG_INVALID');
    expect(error.problems).toEqual([
      expect.objectContaining({
        line: 5,
        path: 'outputs.live',
        message: expect.stringMatching(/needs auth\.secret.*SPOUT_AUTH_SECRET/),
      }),
    ]);
  });
  it('a short auth.secret is a configuration error that does not show it', async () => {
    const error = (await load('auth: { secret: "short-secret-1234" }').catch(
      (e: unknown) => e,
    )) as ConfigError;
    expect(error.problems[0]?.message).toMatch(/17 bytes, HS256 needs at least 32/);
    expect(error.message).not.toContain('short-secret-1234');
  });
  it('with http.enabled: false, the websocket output and the api job are configuration errors', async () => {
    const secret = `auth: { secret: "${'s'.repeat(40)}" }\nhttp: { enabled: false }\njobs:\n  api: { use: api }`;
    const error = (await load(secret).catch((e: unknown) => e)) as ConfigError;
    expect(error.code).toBe('SPOUT_CONFIG_INVALID');
    const messages = error.problems.map((p) => `${p.path}: ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^outputs\.live: .*serves \/ws on the HTTP server, but http\.enabled is false/),
        expect.stringMatching(/^jobs\.api: .*serves \/api on the HTTP server, but http\.enabled is false/),
      ]),
    );
  });
});
