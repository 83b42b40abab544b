import { pino } from 'pino';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyEnvelope } from '../../src/bus/envelope.js';
import type { Observer } from '../../src/delivery/outbox/observe.js';
import type { SendResult } from '../../src/delivery/outbox/policy.js';
import { collisionId, fingerprintOf, type OutboxRecord } from '../../src/delivery/outbox/record.js';
import { createDeliveryAdmin } from '../../src/engine/delivery-admin.js';
import { createDeliveryQueues } from '../../src/engine/delivery-queue.js';
import { disabledKey } from '../../src/engine/queue-keys.js';
import { createError } from '../../src/kernel/errors.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/port.js';
import { until } from '../helpers/deployment.js';
import { hasRedis, startRedis } from '../helpers/redis.js';

// Issue 18: deliveries as shared work — BullMQ jobs on Debian's redis-server, made by whichever
// instance of the deployment is free (competing consumers), with the outbox's retry policy,
// a 410 that disables the endpoint on every instance, and a stale leader that queues nothing.

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const log = pino({ level: 'silent' });
const observer: Observer = {
  attempt: () => {},
  outcome: () => {},
  depth: () => {},
  failed: () => {},
  succeeded: () => {},
  gone: () => {},
  reenabled: () => {},
  collision: () => {},
};
const envelope = (n: number) =>
  ({
    id: `evt_${String(n).padStart(32, '0')}`,
    type: 'whale.detected',
    time: '2026-11-21T10:00:00.000Z',
    source: 'feed',
    data: { n },
  }) as unknown as AnyEnvelope;

/** One instance of the deployment: its queues and a worker for output `hook` whose sends are `send`. */
function instanceOf(
  url: string,
  send: (record: OutboxRecord) => Promise<SendResult> | SendResult,
  store: Store = createMemoryStore(),
  told: Partial<Observer> = {},
) {
  const queues = createDeliveryQueues({ url, deployment: 'd', lockMs: 5000, log });
  const controller = new AbortController();
  const worker = queues.worker({
    instance: 'hook',
    channel: 'webhook',
    store,
    log,
    signal: controller.signal,
    concurrency: 2,
    scheduleMs: [50, 50],
    observer: { ...observer, ...told },
    random: () => 0.5,
    send: async (record) => send(record),
  });
  cleanups.push(async () => {
    controller.abort();
    await worker.stop();
    await queues.close();
  });
  return worker;
}

async function setUp() {
  const server = await startRedis();
  cleanups.push(() => server.stop());
  const client = new Redis(server.url);
  cleanups.push(() => client.quit());
  return { url: server.url, client, admin: createDeliveryAdmin(client, 'd', ['hook']) };
}

describe.skipIf(!hasRedis)('engine: redis — deliveries as BullMQ jobs (redis-server)', () => {
  it('every instance makes deliveries (competing consumers); each event is one job, delivered once', async () => {
    const { url, admin } = await setUp();
    const byInstance = new Map<string, string[]>();
    const sender = (name: string) => async (record: OutboxRecord) => {
      byInstance.set(name, [...(byInstance.get(name) ?? []), record.eventId]);
      await new Promise((r) => setTimeout(r, 10)); // an endpoint that takes a moment
      return { statusCode: 200, latencyMs: 10 };
    };
    const leader = instanceOf(url, sender('leader'));
    const follower = instanceOf(url, sender('follower'));
    leader.start();
    follower.start();
    for (let n = 1; n <= 40; n++) await leader.enqueue(envelope(n));
    await leader.enqueue(envelope(1)); // published again: the same job
    await until(() => [...byInstance.values()].flat().length === 40, 'forty deliveries', 15_000);
    const all = [...byInstance.values()].flat();
    expect(new Set(all).size).toBe(40);
    expect(byInstance.get('leader')?.length).toBeGreaterThan(0);
    expect(byInstance.get('follower')?.length).toBeGreaterThan(0);
    await until(
      async () => (await admin.read()).outbox.filter((r) => r.status === 'delivered').length === 40,
      'forty recorded as delivered',
    );
  });

  it('retries on the schedule (Retry-After honoured), then dead; the log keeps every attempt; retry makes it pending again', async () => {
    const { url, admin } = await setUp();
    const answers: SendResult[] = [
      { statusCode: 503, retryAfter: '0', latencyMs: 1 },
      { statusCode: 500, latencyMs: 1 },
      { statusCode: 500, latencyMs: 1 },
      { statusCode: 200, latencyMs: 1 },
    ];
    const worker = instanceOf(url, () => answers.shift()!);
    worker.start();
    await worker.enqueue(envelope(7));
    await until(async () => (await admin.read()).outbox[0]?.status === 'dead', 'dead after three attempts');
    let { outbox, attempts } = await admin.read();
    expect(outbox[0]).toMatchObject({ attempts: 3, status: 'dead', lastStatus: 500 });
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 503, 'retry'],
      [2, 500, 'retry'],
      [3, 500, 'dead'],
    ]);
    expect(await admin.retry({ dead: true }, new Date())).toBe(1);
    await until(async () => (await admin.read()).outbox[0]?.status === 'delivered', 'delivered on retry');
    ({ attempts } = await admin.read());
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
  });

  it('retention: deliveries finished before the cutoff are deleted with their attempts; newer ones and pending ones stay', async () => {
    const { url, admin } = await setUp();
    let release!: () => void;
    const inFlight = new Promise<SendResult>((r) => (release = () => r({ statusCode: 200, latencyMs: 1 })));
    const answers: Record<string, SendResult | Promise<SendResult>> = {
      '1': { statusCode: 200, latencyMs: 1 },
      '2': { statusCode: 400, latencyMs: 1 }, // refused: dead at once
      '3': inFlight, // still being made while retention runs
    };
    const worker = instanceOf(url, (record) => answers[record.eventId.slice(-1)]!);
    cleanups.push(() => release());
    worker.start();
    await worker.enqueue(envelope(1));
    await worker.enqueue(envelope(2));
    await until(async () => (await admin.read()).outbox.every((r) => r.status !== 'pending'), 'both settled');
    const finished = Date.now();
    expect(await admin.prune(finished - 3_600_000)).toBe(0); // an hour ago: both are younger
    expect((await admin.read()).outbox).toHaveLength(2);
    await worker.enqueue(envelope(3));
    await until(async () => (await admin.read()).outbox.length === 3, 'the third queued');
    expect(await admin.prune(finished + 1000)).toBe(2);
    const { outbox, attempts } = await admin.read();
    expect(outbox.map((r) => r.eventId)).toEqual([envelope(3).id]);
    expect(attempts).toEqual([]);
  });

  it('as the embedded outbox: the same event again is one job; another event under its id is delivered apart, told as a collision', async () => {
    const { url, admin } = await setUp();
    const bodies: string[] = [];
    const collisions: string[] = [];
    const worker = instanceOf(
      url,
      (record) => (bodies.push(record.body), { statusCode: 200, latencyMs: 1 }),
      createMemoryStore(),
      { collision: (_given, _existing, movedId) => void collisions.push(movedId) },
    );
    worker.start();
    const first = envelope(5);
    // A different fact (another whale) under the same id.
    const other = { ...first, data: { n: 6, txid: 'f'.repeat(64) } } as unknown as AnyEnvelope;
    await worker.enqueue(first);
    await worker.enqueue(first);
    await worker.enqueue(other);
    await worker.enqueue(other);
    await until(() => bodies.length === 2, 'two deliveries');
    const moved = collisionId(first.id, fingerprintOf(other));
    expect(collisions).toEqual([moved]);
    const { outbox } = await admin.read();
    expect(outbox.map((r) => r.eventId).sort()).toEqual([first.id, moved].sort());
    expect(bodies.map((b) => JSON.parse(b).data.n).sort()).toEqual([5, 6]);
  });

  it('a 410 disables the endpoint on every instance: nothing more is sent until a retry', async () => {
    const { url, client, admin } = await setUp();
    const sent: string[] = [];
    let gone = true;
    const send = (record: OutboxRecord): SendResult => {
      sent.push(record.eventId);
      return gone ? { statusCode: 410, latencyMs: 1 } : { statusCode: 200, latencyMs: 1 };
    };
    const a = instanceOf(url, send);
    const b = instanceOf(url, send);
    await a.enqueue(envelope(1));
    a.start();
    await until(async () => (await client.exists(disabledKey('d', 'hook'))) === 1, 'disabled in Redis');
    b.start();
    for (let n = 2; n <= 5; n++) await a.enqueue(envelope(n));
    await until(
      async () => (await admin.read()).outbox.filter((r) => r.status === 'disabled').length === 5,
      'all five disabled',
    );
    expect(sent).toEqual([envelope(1).id]);

    gone = false;
    const ids = (await admin.read()).outbox.map((r) => r.id);
    expect(await admin.retry({ ids }, new Date())).toBe(5);
    expect(await client.exists(disabledKey('d', 'hook'))).toBe(0);
    await until(
      async () => (await admin.read()).outbox.filter((r) => r.status === 'delivered').length === 5,
      'all five delivered once re-enabled',
    );
  });

  it('an instance that no longer leads queues nothing (fenced), and says so', async () => {
    const { url, admin } = await setUp();
    const stale: Store = {
      ...createMemoryStore(),
      fence: async () => {
        throw createError('SPOUT_STORE_FENCED', 'another instance leads it now');
      },
    };
    const worker = instanceOf(url, () => ({ statusCode: 200, latencyMs: 1 }), stale);
    await expect(worker.enqueue(envelope(1))).rejects.toMatchObject({ code: 'SPOUT_STORE_FENCED' });
    expect((await admin.read()).outbox).toEqual([]);
  });
  it("accepted while the store's connection is not back yet (the queue's is): kept, then delivered in order; nothing lost", async () => {
    const { url, admin } = await setUp();
    // After a Redis restart the engine's two connections come back one after the other: the
    // store answers "not connected" for a while although the queue's connection is ready.
    let away = 3;
    const reconnecting: Store = {
      ...createMemoryStore(),
      fence: async () => {
        if (away-- > 0) throw createError('SPOUT_ENGINE_UNREACHABLE', 'not connected (connect)');
      },
    };
    const sent: string[] = [];
    const worker = instanceOf(
      url,
      (record) => (sent.push(record.eventId), { statusCode: 200, latencyMs: 1 }),
      reconnecting,
    );
    worker.start();
    for (const n of [1, 2, 3]) await worker.enqueue(envelope(n)); // resolves: accepted, not lost
    await until(() => sent.length === 3, 'the three kept deliveries made', 10_000);
    expect(sent).toEqual([1, 2, 3].map((n) => envelope(n).id));
    expect(away).toBeLessThan(0);
    await until(
      async () => (await admin.read()).outbox.filter((r) => r.status === 'delivered').length === 3,
      'three recorded as delivered',
    );
  });
});
