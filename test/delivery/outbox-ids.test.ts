import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import accuracy from '../../plugins/jobs/accuracy/index.js';
import { collisionId, fingerprintOf } from '../../src/delivery/outbox/record.js';
import webhook from '../../plugins/outputs/webhook/index.js';
import { createEnvelope, type AnyEnvelope } from '../../src/bus/envelope.js';
import type { EventPattern } from '../../src/plugin/types.js';
import type { MempoolStats } from '../../src/bus/events.js';
import { createAjv } from '../../src/config/ajv.js';
import type { InstanceConfig } from '../../src/config/types.js';
import { createKernel, type Kernel } from '../../src/kernel/kernel.js';
import { defineInput } from '../../src/plugin/define.js';
import { openLowdbStore } from '../../src/store/lowdb.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/port.js';
import { COLLECTIONS, type OutcomeRecord } from '../../src/store/records.js';
import type { OutboxRecord } from '../../src/delivery/outbox/record.js';
import { captureLog, config, instance, NoOptions } from '../helpers/kernel.js';
import { hookOptions, newSecret, startReceiver, turns, type Receiver } from '../helpers/receiver.js';

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const stats: MempoolStats = { projectedBlocks: [], recommendedFees: null, mempoolVsize: 123_456 };

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** Test inputs: `fire[name]()` makes input `name` publish a mempool snapshot and a status change. */
const fire: Record<string, () => void> = {};
const pulse = defineInput({
  name: 'pulse',
  description: 'test input: publishes when the test says so',
  options: NoOptions,
  emits: ['mempool.stats', 'input.status'],
  setup() {},
  start(ctx) {
    fire[ctx.instance] = () => {
      ctx.bus.publish('mempool.stats', stats);
      ctx.bus.publish('input.status', { state: 'connected' });
    };
  },
});

async function receiver(secret: string): Promise<Receiver> {
  const r = await startReceiver(secret);
  cleanup.push(() => r.close());
  return r;
}

/** A kernel with the given instances and one webhook `hook` to `rx`, routed `events`. */
async function run(
  instances: InstanceConfig[],
  rx: { url: string; secret: string },
  events: EventPattern[],
  store: Store = createMemoryStore(),
): Promise<{
  kernel: Kernel;
  log: ReturnType<typeof captureLog>;
  records(): OutboxRecord[];
  stop(): Promise<void>;
}> {
  const log = captureLog();
  const hook = instance('hook', webhook, {
    options: hookOptions({ url: rx.url, secret: rx.secret }),
    events,
  });
  const kernel = createKernel({ config: config([...instances, hook]), log: log.log, store });
  await kernel.start();
  let stopped = false;
  const stop = async () => {
    if (!stopped) await kernel.stop();
    stopped = true;
  };
  cleanup.push(stop);
  const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
  return {
    kernel,
    stop,
    log,
    records: () => [...outbox.entries()].map(([, r]) => r).filter((r) => r.instance === 'hook'),
  };
}

const webhookIds = (rx: Receiver) => rx.requests.map((q) => String(q.headers['webhook-id']));
const bodies = (rx: Receiver) => rx.requests.map((q) => JSON.parse(q.body) as AnyEnvelope);
const collisions = async (kernel: Kernel) =>
  /spout_outbox_id_collisions_total\{instance="hook"\} (\d+)/.exec(
    await kernel.metrics.registry.metrics(),
  )?.[1] ?? '0';

describe('event ids through the kernel and a webhook', () => {
  it('two inputs publishing in the same millisecond: one id, one outbox record and one delivery per event', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 }); // the clock stands still: every event gets the same time
    const secret = newSecret();
    const rx = await receiver(secret);
    const published: AnyEnvelope[] = [];
    const r = await run(
      [instance('mempool-a', pulse), instance('mempool-b', pulse)],
      { url: rx.url, secret },
      ['input.*', 'mempool.*'],
    );
    r.kernel.bus.tap((e) => published.push(e));
    fire['mempool-a']!();
    fire['mempool-b']!();
    expect(published.map((e) => `${e.type}@${e.source} ${e.time}`)).toEqual([
      'mempool.stats@mempool-a 2026-11-21T10:00:00.000Z',
      'input.status@mempool-a 2026-11-21T10:00:00.000Z',
      'mempool.stats@mempool-b 2026-11-21T10:00:00.000Z',
      'input.status@mempool-b 2026-11-21T10:00:00.000Z',
    ]);
    expect(new Set(published.map((e) => e.id)).size).toBe(4);

    await turns(() => rx.requests.length === 4, 'four deliveries');
    await turns(() => r.records().every((x) => x.status === 'delivered'), 'all delivered');
    expect(
      r
        .records()
        .map((x) => x.eventId)
        .sort(),
    ).toEqual(published.map((e) => e.id).sort());
    expect(webhookIds(rx).sort()).toEqual(published.map((e) => e.id).sort());
    expect(
      bodies(rx)
        .map((e) => `${e.type}@${e.source}`)
        .sort(),
    ).toEqual([
      'input.status@mempool-a',
      'input.status@mempool-b',
      'mempool.stats@mempool-a',
      'mempool.stats@mempool-b',
    ]);
    expect(await collisions(r.kernel)).toBe('0');
  });

  it('two accuracy jobs alerting in the same millisecond: two alerts delivered', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
    const store = createMemoryStore();
    const outcomes = store.collection<OutcomeRecord>(COLLECTIONS.outcomes);
    for (let i = 0; i < 20; i++)
      outcomes.put(`tx${i}`, {
        txid: `tx${i}`,
        detectedAt: new Date(T0 - 3_600_000).toISOString(),
        settledAt: new Date(T0 - 1_800_000).toISOString(),
        status: 'confirmed',
        valueSats: 200e8,
        predictedBlocks: 1,
        urgencyLevel: 'high',
        score: 0.5,
      });
    // The schema's defaults filled in, as the config loader does.
    const options: Record<string, unknown> = { minSample: 20 };
    if (!createAjv().compile(accuracy.options)(options as object)) throw new Error('invalid options');
    const secret = newSecret();
    const rx = await receiver(secret);
    const published: AnyEnvelope[] = [];
    const r = await run(
      [instance('accuracy-a', accuracy, { options }), instance('accuracy-b', accuracy, { options })],
      { url: rx.url, secret },
      ['accuracy.*'],
      store,
    );
    r.kernel.bus.tap((e) => published.push(e));
    await vi.advanceTimersByTimeAsync(5 * 60_000); // both run at 10:05
    expect(published.map((e) => `${e.type}@${e.source} ${e.time}`).sort()).toEqual([
      'accuracy.degraded@accuracy-a 2026-11-21T10:05:00.000Z',
      'accuracy.degraded@accuracy-b 2026-11-21T10:05:00.000Z',
    ]);
    await turns(() => rx.requests.length === 2, 'two deliveries');
    expect(new Set(webhookIds(rx))).toEqual(new Set(published.map((e) => e.id)));
    expect(
      bodies(rx)
        .map((e) => e.source)
        .sort(),
    ).toEqual(['accuracy-a', 'accuracy-b']);
    expect(r.records()).toHaveLength(2);
  });
});

describe('outbox: one delivery per event, never one for two events', () => {
  async function tempStore(): Promise<() => Promise<Store>> {
    const dir = await mkdtemp(join(tmpdir(), 'spout-ids-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    return () => openLowdbStore({ path: join(dir, 'spout.json'), flushDelayMs: 5 });
  }

  // Two events under one id, as the ids keyed on the time alone gave two inputs in one millisecond.
  const first = createEnvelope('input.status', { state: 'connected' }, 'mempool-a', new Date(T0));
  const second: AnyEnvelope = {
    ...createEnvelope('input.status', { state: 'connected' }, 'mempool-b', new Date(T0)),
    id: first.id,
  };

  it('delivers another event arriving with a taken id apart, under an id of its own; logs and counts it once, across a restart', async () => {
    const secret = newSecret();
    const rx = await receiver(secret);
    const open = await tempStore();
    const r = await run([], { url: rx.url, secret }, ['input.*'], await open());
    r.kernel.bus.publishEnvelope(first);
    r.kernel.bus.publishEnvelope(second);
    await turns(() => rx.requests.length === 2, 'two deliveries');

    const moved = collisionId(first.id, fingerprintOf(second));
    expect(moved).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(webhookIds(rx).sort()).toEqual([first.id, moved].sort());
    const sent = new Map(bodies(rx).map((e) => [e.id, e]));
    expect(sent.get(first.id)).toEqual(first);
    expect(sent.get(moved)).toEqual({ ...second, id: moved });
    expect(rx.requests.every((q) => q.verified)).toBe(true);
    expect(await collisions(r.kernel)).toBe('1');
    const warning = r.log.lines.find((l) => String(l.msg).startsWith('event id collision'));
    expect(warning).toMatchObject({
      level: 'warn',
      instance: 'hook',
      eventId: first.id,
      existing: { type: 'input.status', source: 'mempool-a', time: first.time },
      incoming: { type: 'input.status', source: 'mempool-b', time: second.time },
      deliveredAs: moved,
    });
    expect(String(warning!.msg)).toContain('from mempool-a');
    expect(String(warning!.msg)).toContain('from mempool-b');
    await turns(() => r.records().every((x) => x.status === 'delivered'), 'both delivered');
    await r.stop();

    // Both again after a restart: replays of events already delivered, nothing new.
    const again = await run([], { url: rx.url, secret }, ['input.*'], await open());
    again.kernel.bus.publishEnvelope(second);
    again.kernel.bus.publishEnvelope(first);
    await again.kernel.bus.drain();
    expect(
      again
        .records()
        .map((x) => x.eventId)
        .sort(),
    ).toEqual([first.id, moved].sort());
    expect(again.records().every((x) => x.status === 'delivered')).toBe(true);
    expect(await collisions(again.kernel)).toBe('0');
    await again.stop();
    expect(rx.requests).toHaveLength(2);
  });

  it('takes the same event again for a replay: published twice, after a restart, or the same whale seen later by another input', async () => {
    const secret = newSecret();
    const rx = await receiver(secret);
    const open = await tempStore();
    const txid = 'ab'.repeat(32);
    const whale = (source: string, ms: number) =>
      createEnvelope('whale.dropped', { txid, reason: 'evicted' }, source, new Date(ms));
    const r = await run([], { url: rx.url, secret }, ['input.*', 'whale.*'], await open());
    r.kernel.bus.publishEnvelope(first);
    r.kernel.bus.publishEnvelope(JSON.parse(JSON.stringify(first)) as AnyEnvelope);
    r.kernel.bus.publishEnvelope(whale('correlation', T0));
    await turns(() => rx.requests.length === 2, 'two deliveries');
    await turns(() => r.records().every((x) => x.status === 'delivered'), 'delivered');
    await r.stop();

    const again = await run([], { url: rx.url, secret }, ['input.*', 'whale.*'], await open());
    again.kernel.bus.publishEnvelope(first);
    again.kernel.bus.publishEnvelope(whale('correlation-2', T0 + 60_000));
    await again.kernel.bus.drain();
    expect(again.records()).toHaveLength(2);
    expect(again.records().every((x) => x.status === 'delivered')).toBe(true);
    expect(await collisions(again.kernel)).toBe('0');
    expect(again.log.lines.some((l) => String(l.msg).startsWith('event id collision'))).toBe(false);
    await again.stop();
    expect(webhookIds(rx).sort()).toEqual([first.id, whale('x', 0).id].sort());
  });
});
