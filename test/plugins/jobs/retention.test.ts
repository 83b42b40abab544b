import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import retention from '../../../plugins/jobs/retention/index.js';
import { prune, recordTime } from '../../../plugins/jobs/retention/prune.js';
import { createAjv } from '../../../src/config/ajv.js';
import { createKernel } from '../../../src/kernel/kernel.js';
import { openLowdbStore } from '../../../src/store/lowdb.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import type { Store } from '../../../src/store/port.js';
import type { DeliveryQueues } from '../../../src/engine/delivery-queue.js';
import { captureLog, config, instance } from '../../helpers/kernel.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length) await cleanups.pop()?.();
});

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const iso = (t: number) => new Date(t).toISOString();

/**
 * Records around `cutoff` in every collection retention prunes. Ids say what must happen:
 * `old…` are deleted, `keep…` stay.
 */
function seed(store: Store, cutoff: number): void {
  const put = (collection: string, id: string, doc: unknown) => store.collection(collection).put(id, doc);
  put('predictions', 'old-p', { txid: 'old-p', detectedAt: iso(cutoff - 1) });
  put('predictions', 'keep-p-edge', { txid: 'keep-p-edge', detectedAt: iso(cutoff) });
  put('predictions', 'keep-p', { txid: 'keep-p', detectedAt: iso(cutoff + DAY) });
  // Outcomes age by settledAt: detected long ago but settled recently stays.
  put('outcomes', 'old-o', { detectedAt: iso(cutoff - 9 * DAY), settledAt: iso(cutoff - DAY) });
  put('outcomes', 'keep-o', { detectedAt: iso(cutoff - 9 * DAY), settledAt: iso(cutoff + 1) });
  put('outcomes', 'keep-o-undated', { status: 'confirmed' });
  put('deliveries', 'old-d', { createdAt: iso(cutoff - 5 * DAY), updatedAt: iso(cutoff - 4 * DAY) });
  put('deliveries', 'keep-d-updated', { createdAt: iso(cutoff - 5 * DAY), updatedAt: iso(cutoff + DAY) });
  put('deliveries', 'keep-d-bad-date', { createdAt: 'yesterday' });
  put('outbox', 'old-x', { createdAt: iso(cutoff - 2 * DAY) });
  put('outbox', 'keep-x-settled', { createdAt: iso(cutoff - 2 * DAY), settledAt: iso(cutoff + 2 * DAY) });
  put('messages', 'old-m', { chat: '@c', messageId: 7, createdAt: iso(cutoff - DAY) });
  put('messages', 'keep-m', { chat: '@c', messageId: 8, createdAt: iso(cutoff + DAY) });
  put('api-whale-signals', 'old-s', { txid: 'old-s', detectedAt: iso(cutoff - DAY) });
  put('api-whale-signals', 'keep-s', { txid: 'keep-s', detectedAt: iso(cutoff + DAY) });
  // Tokens age by expiry: issued long ago but still valid (or revoked and not yet expired) stays.
  put('tokens', 'old-t', { jti: 'old-t', issuedAt: iso(cutoff - 9 * DAY), expiresAt: iso(cutoff - DAY) });
  put('tokens', 'keep-t-revoked', {
    jti: 'keep-t-revoked',
    issuedAt: iso(cutoff - 9 * DAY),
    expiresAt: iso(cutoff + DAY),
    revokedAt: iso(cutoff - 8 * DAY),
  });
  // A revocation of a token never recorded here: its expiry is unknown, so it is kept.
  put('tokens', 'keep-t-unknown', { jti: 'keep-t-unknown', revokedAt: iso(cutoff - 9 * DAY) });
  put('job-state', 'old-looking', { alertedAt: iso(cutoff - 9 * DAY) }); // not a retention collection
}

const EXPECTED = {
  predictions: 1,
  outcomes: 1,
  deliveries: 1,
  outbox: 1,
  messages: 1,
  'api-whale-signals': 1,
  tokens: 1,
};
const NONE = Object.fromEntries(Object.keys(EXPECTED).map((k) => [k, 0]));

function ids(store: Store): string[] {
  return store
    .collections()
    .flatMap((name) => [...store.collection(name).entries()].map(([id]) => `${name}/${id}`))
    .sort();
}

const survivors = [
  'api-whale-signals/keep-s',
  'deliveries/keep-d-bad-date',
  'deliveries/keep-d-updated',
  'job-state/old-looking',
  'messages/keep-m',
  'outbox/keep-x-settled',
  'outcomes/keep-o',
  'outcomes/keep-o-undated',
  'predictions/keep-p',
  'predictions/keep-p-edge',
  'tokens/keep-t-revoked',
  'tokens/keep-t-unknown',
];

describe('retention pruning', () => {
  it('deletes exactly the records strictly older than the cutoff, by each collection’s date', async () => {
    const store = createMemoryStore();
    const cutoff = T0 - 90 * DAY;
    seed(store, cutoff);
    expect(await prune(store, cutoff)).toEqual(EXPECTED);
    expect(ids(store)).toEqual(survivors);
    expect(await prune(store, cutoff)).toEqual(NONE);
  });

  it('ages a record by the newest of its date fields and ignores unusable ones', () => {
    const fields = ['createdAt', 'updatedAt'];
    expect(recordTime({ createdAt: iso(1000), updatedAt: iso(5000) }, fields)).toBe(5000);
    expect(recordTime({ createdAt: iso(1000), updatedAt: 'soon' }, fields)).toBe(1000);
    expect(recordTime({ createdAt: 42 }, fields)).toBeNull();
    expect(recordTime(null, fields)).toBeNull();
  });

  it('survives a crash mid-run: what reached the disk stays done, the next run finishes the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-retention-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'spout.json');
    const atCrash = join(dir, 'at-crash.json');
    const cutoff = T0 - 90 * DAY;
    const store = await openLowdbStore({ path });
    cleanups.push(() => store.close());
    seed(store, cutoff);
    await store.flush();

    // The process dies during the second flush (outcomes): the disk then holds what `atCrash` copies.
    let flushes = 0;
    const dying: Store = {
      ...store,
      async flush() {
        if (++flushes === 2) {
          // The store on disk is the snapshot plus its journal.
          await copyFile(path, atCrash);
          await copyFile(`${path}.journal`, `${atCrash}.journal`).catch(() => {});
          throw new Error('killed');
        }
        await store.flush();
      },
    };
    await expect(prune(dying, cutoff)).rejects.toThrow('killed');

    const restarted = await openLowdbStore({ path: atCrash });
    expect(ids(restarted)).not.toContain('predictions/old-p'); // finished before the crash
    expect(ids(restarted)).toContain('outcomes/old-o'); // lost with the crash
    expect(await prune(restarted, cutoff)).toEqual({ ...EXPECTED, predictions: 0 });
    await restarted.close();
    const reread = await openLowdbStore({ path: atCrash });
    expect(ids(reread)).toEqual(survivors);
    await reread.close();
  });
});

function options(given: Record<string, unknown>): Record<string, unknown> {
  const opts = { ...given };
  if (!createAjv().compile(retention.options)(opts)) throw new Error('invalid test options');
  return opts;
}

describe('retention job (fake time)', () => {
  it('prunes with the clock at the run and reports the counts per collection in one line', async () => {
    vi.useFakeTimers({ now: T0 });
    const firstRun = T0 + 10_000; // */10 s: the first run is at 10:00:10 in every time zone
    const store = createMemoryStore();
    seed(store, firstRun - 30 * DAY);
    const log = captureLog();
    const kernel = createKernel({
      config: config([
        instance('ret', retention, { options: options({ schedule: '*/10 * * * * *', days: 30 }) }),
      ]),
      log: log.log,
      store,
    });
    await kernel.start();
    await vi.advanceTimersByTimeAsync(10_000);
    await kernel.stop();
    expect(ids(store)).toEqual(survivors);
    const lines = log.lines.filter((l) => String(l.msg).startsWith('retention:'));
    expect(lines.map((l) => l.msg)).toEqual([
      'retention: deleted 1 predictions, 1 outcomes, 1 deliveries, 1 outbox, 1 messages, 1 api-whale-signals, 1 tokens older than 30 days',
    ]);
    expect(lines[0]).toMatchObject({ instance: 'ret', deleted: EXPECTED, before: iso(firstRun - 30 * DAY) });
  });

  it('engine: redis — also deletes the delivery queues’ finished jobs older than the cutoff, and says how many', async () => {
    vi.useFakeTimers({ now: T0 });
    const cutoffs: number[] = [];
    const deliveries = {
      prune: async (cutoff: number) => (cutoffs.push(cutoff), 3),
    } as unknown as DeliveryQueues;
    const log = captureLog();
    const kernel = createKernel({
      config: config([
        instance('ret', retention, { options: options({ schedule: '*/10 * * * * *', days: 30 }) }),
      ]),
      log: log.log,
      store: createMemoryStore(),
      deliveries,
    });
    await kernel.start();
    await vi.advanceTimersByTimeAsync(10_000);
    await kernel.stop();
    expect(cutoffs).toEqual([T0 + 10_000 - 30 * DAY]);
    const line = log.lines.find((l) => String(l.msg).startsWith('retention:'));
    expect(line?.msg).toMatch(/, 3 queued deliveries older than 30 days$/);
  });

  it('runs once a day by default and keeps 90 days', async () => {
    vi.useFakeTimers({ now: T0 });
    const store = createMemoryStore();
    // 95 days old: deleted by the first run whatever the local time zone; 80 days: kept by both.
    store.collection('outcomes').put('old', { settledAt: iso(T0 - 95 * DAY) });
    store.collection('outcomes').put('young', { settledAt: iso(T0 - 80 * DAY) });
    const log = captureLog();
    const kernel = createKernel({
      config: config([instance('ret', retention, { options: options({}) })]),
      log: log.log,
      store,
    });
    await kernel.start();
    await vi.advanceTimersByTimeAsync(2 * DAY);
    await kernel.stop();
    const runs = log.lines.filter((l) => String(l.msg).startsWith('retention:'));
    expect(runs.map((l) => (l.deleted as Record<string, number>).outcomes)).toEqual([1, 0]);
    expect(runs.every((l) => String(l.msg).endsWith('older than 90 days'))).toBe(true);
    expect([...store.collection('outcomes').entries()].map(([id]) => id)).toEqual(['young']);
  });
});

describe('retention job health (fake time)', () => {
  it('a failing run is logged and marks the instance degraded; the next successful run makes it healthy', async () => {
    vi.useFakeTimers({ now: T0 });
    const memory = createMemoryStore();
    memory.collection('outcomes').put('old', { settledAt: iso(T0 - 95 * DAY) }); // so the run flushes
    let failing = true;
    const store: Store = {
      ...memory,
      collection: (name) => memory.collection(name),
      collections: () => memory.collections(),
      flush: () => (failing ? Promise.reject(new Error('disk full')) : memory.flush()),
    };
    const log = captureLog();
    const kernel = createKernel({
      config: config([
        instance('ret', retention, { options: options({ schedule: '*/10 * * * * *', days: 30 }) }),
      ]),
      log: log.log,
      store,
    });
    await kernel.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(kernel.health.report().instances.ret).toMatchObject({
      state: 'degraded',
      reason: 'last retention run failed: disk full',
    });
    const error = log.lines.find((l) => l.level === 'error');
    expect(error).toMatchObject({ instance: 'ret', msg: 'retention run failed: disk full' });
    expect(error?.err).toMatchObject({ message: 'disk full' });

    failing = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(kernel.health.report().instances.ret).toMatchObject({ state: 'healthy' });
    expect(kernel.health.report().instances.ret?.reason).toBeUndefined();
    await kernel.stop();
  });
});
