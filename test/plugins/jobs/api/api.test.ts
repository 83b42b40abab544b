import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventId } from '../../../../src/bus/envelope.js';
import type { WhaleSignal } from '../../../../src/bus/events.js';
import { type ConfigError } from '../../../../src/config/load.js';
import { parseConfig } from '../../../helpers/builtins.js';
import { aggregate } from '../../../../src/stats/aggregate.js';
import type { EtaScored } from '../../../../src/stats/calibration.js';
import { createMemoryStore } from '../../../../src/store/memory.js';
import { COLLECTIONS, type OutcomeRecord } from '../../../../src/store/records.js';
import type { DeliveryAttempt, OutboxRecord } from '../../../../src/delivery/outbox/record.js';
import { startSpout } from '../../../helpers/ws/server.js';
import { txidOf, whale } from '../../../helpers/ws/whales.js';

// The REST API on a kernel's HTTP server on 127.0.0.1, asked with fetch.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length) await cleanups.pop()?.();
});

/** Whale n is detected n minutes after 2026-11-21T10:00Z with 150 + n BTC (whale()). */
async function api(options = '', whales = 0) {
  const store = createMemoryStore();
  const s = await startSpout(
    [
      'inputs:',
      '  feed: { use: replay }',
      'jobs:',
      `  api: { use: api${options ? `, ${options}` : ''} }`,
    ].join('\n'),
    { store },
  );
  cleanups.push(() => s.stop());
  for (let n = 0; n < whales; n++) s.kernel.bus.publish('whale.detected', whale(n), 'test');
  await s.kernel.bus.drain();
  const token = await s.token({ scopes: ['api:read'] });
  const get = async (path: string, auth: string | null = token) => {
    const res = await fetch(`${s.base}${path}`, auth ? { headers: { authorization: `Bearer ${auth}` } } : {});
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  return { ...s, store, get, apiToken: token };
}

const outcome = (n: number, status: OutcomeRecord['status'], score: number | null): OutcomeRecord => ({
  txid: txidOf(n),
  detectedAt: whale(n).detectedAt,
  settledAt: new Date(Date.parse(whale(n).detectedAt) + 600_000).toISOString(),
  status,
  valueSats: whale(n).valueSats,
  predictedBlocks: 2,
  urgencyLevel: 'medium',
  ...(status === 'confirmed' ? { height: 900_000 + n, blocksWaited: 2, minutesWaited: 10 } : {}),
  score,
});

const txids = (body: Record<string, unknown>) => (body.whales as Array<{ txid: string }>).map((w) => w.txid);

describe('REST API: authentication', () => {
  it('no token, a bad, expired or revoked token → 401; a token without api:read → 403; JSON errors, no stack traces', async () => {
    const a = await api('', 3);
    const revoked = await a.token({ scopes: ['api:read'] });
    const { hub, release } = await a.kernel.tokens.join();
    cleanups.push(release);
    hub.revoke(
      JSON.parse(Buffer.from(revoked.split('.')[1] as string, 'base64url').toString()).jti as string,
    );
    const cases: Array<[string | null, number, RegExp]> = [
      [null, 401, /Authorization: Bearer/],
      ['garbage', 401, /not valid/],
      [
        await a.token({ scopes: ['api:read'], secret: 'some-other-secret-that-is-long-enough-123' }),
        401,
        /not valid/,
      ],
      [await a.token({ scopes: ['api:read'], now: new Date(Date.now() - 7_200_000) }), 401, /expired/],
      [revoked, 401, /revoked/],
      [await a.token({ scopes: ['alerts:read'] }), 403, /api:read/],
    ];
    for (const [token, status, message] of cases) {
      const r = await a.get('/api/whales', token);
      expect(r.status).toBe(status);
      expect(r.body).toEqual({
        error: status === 401 ? 'unauthorized' : 'forbidden',
        message: expect.stringMatching(message),
      });
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="spout"/);
    }
    for (const path of [
      '/api/whales/xyz',
      '/api/whales?limit=0',
      '/api/nothing',
      '/api/stats?since=yesterday',
    ]) {
      const r = await a.get(path);
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(Object.keys(r.body).sort()).toEqual(['error', 'message']);
      expect(JSON.stringify(r.body)).not.toMatch(/\n\s+at |\.ts:\d+/);
    }
  });

  it('the 101st request from one address within a minute → 429 with Retry-After; bad tokens count too', async () => {
    const a = await api();
    for (let i = 0; i < 100; i++) {
      const r = await a.get('/api/stats', i % 2 === 0 ? a.apiToken : 'bad');
      expect(r.status).toBe(i % 2 === 0 ? 200 : 401);
    }
    const r = await a.get('/api/stats');
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ error: 'rate_limited', message: expect.stringMatching(/retry in \d+ s/) });
    const after = Number(r.headers.get('retry-after'));
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThanOrEqual(60);
  });

  it('the limit slides: 100 requests late in one minute still count early in the next (no 2× burst at a boundary)', async () => {
    const a = await api();
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: t0 });
    expect((await a.get('/api/stats')).status).toBe(200);
    vi.setSystemTime(t0 + 59_000);
    for (let i = 0; i < 99; i++) expect((await a.get('/api/stats')).status).toBe(200);
    // A fixed window opened at t0 would start afresh at t0 + 60 s and let 100 more through.
    vi.setSystemTime(t0 + 61_000);
    expect((await a.get('/api/stats')).status).toBe(200); // the request at t0 has left the window
    const refused = await a.get('/api/stats');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('58'); // when the requests at t0 + 59 s leave it
    vi.setSystemTime(t0 + 119_000);
    expect((await a.get('/api/stats')).status).toBe(200);
  });
});

describe('REST API: query parameters', () => {
  it('a parameter given more than once → 400 saying how to give several values; a 500 is counted as 500', async () => {
    const a = await api('', 2);
    for (const path of [
      '/api/whales?status=confirmed&status=dropped',
      '/api/whales?since=1d&since=2d',
      '/api/whales?until=1d&until=2d',
      '/api/whales?limit=1&limit=2',
      '/api/stats?since=1d&since=2d',
    ]) {
      const r = await a.get(path);
      expect({ path, status: r.status, body: r.body }).toEqual({
        path,
        status: 400,
        body: {
          error: 'bad_request',
          message: expect.stringMatching(/is given more than once; give it once/),
        },
      });
    }
    expect((await a.get('/api/whales?status=pending&status=dropped')).body.message).toMatch(
      /status=confirmed,dropped/,
    );
    // A record the API cannot read: the handler throws, the server answers 500.
    a.store.collection('api-whale-signals').put('broken', null);
    const r = await a.get('/api/whales');
    expect(r.status).toBe(500);
    expect(Object.keys(r.body).sort()).toEqual(['error', 'message']);
    const metric = await a.kernel.metrics.registry.getSingleMetricAsString('spout_api_requests_total');
    expect(metric).toContain('route="/api/whales",status="500"} 1');
    expect(metric).toContain('route="/api/whales",status="400"} 5');
    expect(metric).toContain('route="/api/stats",status="400"} 1');
    expect(metric).not.toContain('status="200"');
  });
});

describe('REST API: whales', () => {
  it('lists whales newest first with since, until, minBtc and status filters', async () => {
    const a = await api('', 10);
    const outcomes = a.store.collection<OutcomeRecord>(COLLECTIONS.outcomes);
    outcomes.put(txidOf(2), outcome(2, 'confirmed', 0.9));
    outcomes.put(txidOf(5), outcome(5, 'dropped', 0.3));
    const all = await a.get('/api/whales');
    expect(all.status).toBe(200);
    expect(txids(all.body)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map(txidOf));
    expect(all.body.nextCursor).toBeNull();
    const w2 = (all.body.whales as Array<Record<string, unknown>>).find((w) => w.txid === txidOf(2));
    expect(w2).toMatchObject({
      status: 'confirmed',
      valueBtc: 152,
      feeRate: 20,
      urgency: { level: 'medium' },
    });

    const at = (n: number) => encodeURIComponent(whale(n).detectedAt);
    expect(txids((await a.get(`/api/whales?since=${at(7)}`)).body)).toEqual([9, 8, 7].map(txidOf));
    expect(txids((await a.get(`/api/whales?until=${at(2)}`)).body)).toEqual([1, 0].map(txidOf));
    expect(txids((await a.get('/api/whales?minBtc=157.5')).body)).toEqual([9, 8].map(txidOf));
    expect(txids((await a.get('/api/whales?status=confirmed,dropped')).body)).toEqual([5, 2].map(txidOf));
    expect(txids((await a.get('/api/whales?status=pending&minBtc=155&until=' + at(8))).body)).toEqual(
      [7, 6].map(txidOf),
    );
    const bad = await a.get('/api/whales?status=lost');
    expect(bad).toMatchObject({
      status: 400,
      body: { error: 'bad_request', message: expect.stringMatching(/status must be/) },
    });
  });

  it('paginates stably: pages of `limit` chain by cursor to exactly the whole list, even while new whales arrive', async () => {
    const a = await api('', 11);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await a.get(`/api/whales?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...txids(r.body));
      cursor = r.body.nextCursor as string | null;
      if (pages++ === 0) {
        // A newer whale arrives after the first page: it is not on a later page, nothing repeats.
        a.kernel.bus.publish('whale.detected', whale(50), 'test');
        await a.kernel.bus.drain();
      }
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map(txidOf));
    expect(txids((await a.get('/api/whales?limit=1')).body)).toEqual([txidOf(50)]);
    expect((await a.get('/api/whales?cursor=bogus')).status).toBe(400);
  });

  it('GET /api/whales/:txid gives the signal, the outcome and the deliveries with their attempts', async () => {
    const a = await api('', 3);
    a.store.collection<OutcomeRecord>(COLLECTIONS.outcomes).put(txidOf(1), outcome(1, 'confirmed', 0.8));
    const id = eventId('whale.detected', txidOf(1));
    const record: OutboxRecord = {
      id: `desk/${id}`,
      instance: 'desk',
      channel: 'webhook',
      eventId: id,
      eventType: 'whale.detected',
      body: '{"secret":"not-shown"}',
      status: 'delivered',
      attempts: 2,
      createdAt: '2026-11-21T10:01:00.000Z',
      updatedAt: '2026-11-21T10:01:06.000Z',
      nextAttemptAt: null,
      deliveredAt: '2026-11-21T10:01:06.000Z',
      lastStatus: 200,
    };
    a.store.collection<OutboxRecord>(COLLECTIONS.outbox).put(record.id, record);
    for (const [attempt, statusCode] of [
      [1, 503],
      [2, 200],
    ] as const) {
      const log: DeliveryAttempt = {
        id: `${record.id}#${attempt}`,
        outboxId: record.id,
        instance: 'desk',
        attempt,
        createdAt: `2026-11-21T10:01:0${attempt * 3}.000Z`,
        statusCode,
        latencyMs: 12,
        outcome: statusCode === 200 ? 'delivered' : 'retry',
      };
      a.store.collection<DeliveryAttempt>(COLLECTIONS.deliveries).put(log.id, log);
    }
    const r = await a.get(`/api/whales/${txidOf(1)}`);
    expect(r.status).toBe(200);
    expect(r.body.whale).toEqual({
      ...whale(1),
      status: 'confirmed',
      settledAt: outcome(1, 'confirmed', 0.8).settledAt,
      outcome: { height: 900_001, blocksWaited: 2, minutesWaited: 10, predictedBlocks: 2, score: 0.8 },
    });
    expect(r.body.outcome).toEqual(outcome(1, 'confirmed', 0.8));
    expect(r.body.deliveries).toEqual([
      expect.objectContaining({
        id: record.id,
        status: 'delivered',
        log: [
          expect.objectContaining({ attempt: 1, statusCode: 503 }),
          expect.objectContaining({ attempt: 2, statusCode: 200 }),
        ],
      }),
    ]);
    expect(JSON.stringify(r.body)).not.toContain('not-shown');
    expect((await a.get(`/api/whales/${txidOf(99)}`)).status).toBe(404);
    expect((await a.get('/api/whales/XYZ')).status).toBe(400);
  });

  it('a whale.updated replaces the urgency and ETA the API shows for that whale; an unknown txid is ignored', async () => {
    const a = await api('', 2);
    const urgency = { score: 0.8, level: 'high' as const, predictedBlocks: 1, basis: 'projected-position' };
    const eta = { blocks: 1, p10Minutes: 1.1, p50Minutes: 6.9, p90Minutes: 23 };
    a.kernel.bus.publish('whale.updated', { txid: txidOf(1), urgency, eta }, 'test');
    a.kernel.bus.publish('whale.updated', { txid: txidOf(9), urgency, eta }, 'test');
    await a.kernel.bus.drain();
    const one = await a.get(`/api/whales/${txidOf(1)}`);
    expect((one.body.whale as WhaleSignal).urgency).toEqual(urgency);
    expect((one.body.whale as WhaleSignal).eta).toEqual(eta);
    const list = await a.get('/api/whales');
    expect(txids(list.body)).toEqual([txidOf(1), txidOf(0)]);
    const other = (list.body.whales as WhaleSignal[]).find((w) => w.txid === txidOf(0))!;
    expect(other.urgency?.predictedBlocks).toBe(2);
    expect((await a.get(`/api/whales/${txidOf(9)}`)).status).toBe(404);
  });

  it('GET /api/stats answers what spout stats computes', async () => {
    const a = await api('', 4);
    const outcomes = a.store.collection<OutcomeRecord>(COLLECTIONS.outcomes);
    // Detected in the last days (stats count what was detected up to now).
    const recent = (o: OutcomeRecord, daysAgo: number) => ({
      ...o,
      detectedAt: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
    });
    const stored = [
      recent(outcome(0, 'confirmed', 0.9), 3),
      recent(outcome(1, 'replaced', 0.1), 2),
      recent(outcome(2, 'confirmed', 0.7), 1),
      recent(outcome(3, 'dropped', 0.3), 40),
    ];
    for (const o of stored) outcomes.put(o.txid, o);
    const r = await a.get('/api/stats?since=30d');
    expect(r.status).toBe(200);
    const now = new Date(r.body.now as string);
    const expected = aggregate(stored, { since: new Date(r.body.since as string), now });
    expect(Date.parse(r.body.since as string)).toBe(now.getTime() - 30 * 86_400_000);
    // With no accuracy job, no thresholds (see thresholds.test.ts).
    expect(r.body).toEqual({ ...JSON.parse(JSON.stringify(expected)), thresholds: null });
    expect((r.body.total as Record<string, unknown>).whales).toBe(3);
  });
});

describe('REST API: ETA calibration', () => {
  it('GET /api/stats gives the ETA calibration of the confirmed whales detected in the range', async () => {
    const a = await api();
    const outcomes = a.store.collection<OutcomeRecord & EtaScored>(COLLECTIONS.outcomes);
    // Detected n minutes into the last hour: /api/stats counts up to now, whatever today's date.
    const base = Date.now() - 3_600_000;
    const at = (n: number) => new Date(base + n * 60_000).toISOString();
    const scored = (n: number, etaErrorMinutes: number | null, withinEtaRange: boolean | null) => ({
      ...outcome(n, 'confirmed', 0.9),
      detectedAt: at(n),
      etaErrorMinutes,
      withinEtaRange,
    });
    for (const o of [
      scored(0, -4.28, true),
      scored(1, 33.22, false),
      scored(2, 1.5, true),
      scored(3, null, null), // no ETA at detection
      { ...outcome(4, 'dropped', 0.3), detectedAt: at(4) },
    ])
      outcomes.put(o.txid, o);

    const all = await a.get('/api/stats');
    expect(all.status).toBe(200);
    expect(all.body.etaCalibration).toEqual({
      confirmedWithEta: 3,
      withinRange: 2,
      withinRangeShare: 0.6667,
      medianAbsErrorMinutes: 4.28,
    });
    expect(all.body.total).toMatchObject({ whales: 5, confirmed: 4, dropped: 1 });

    const since = encodeURIComponent(at(1));
    const recent = await a.get(`/api/stats?since=${since}`);
    expect(recent.body.etaCalibration).toEqual({
      confirmedWithEta: 2,
      withinRange: 1,
      withinRangeShare: 0.5,
      medianAbsErrorMinutes: 17.36, // (1.5 + 33.22) / 2
    });
  });
});

describe('REST API: configuration', () => {
  it('enabling the API without auth.secret is a configuration error', async () => {
    const error = (await parseConfig(
      ['inputs:', '  feed: { use: replay }', 'jobs:', '  api: { use: api }'].join('\n'),
      'config.yaml',
      process.cwd(),
      {},
    ).catch((e: unknown) => e)) as ConfigError;
    expect(error.problems).toEqual([
      expect.objectContaining({
        line: 4,
        path: 'jobs.api',
        message: expect.stringMatching(/\(REST API\) needs auth\.secret/),
      }),
    ]);
  });
});
