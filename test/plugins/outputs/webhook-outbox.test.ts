import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GONE_REASON } from '../../../src/delivery/outbox/observe.js';
import { createRecord } from '../../../src/delivery/outbox/record.js';
import { createEnvelope } from '../../../src/bus/envelope.js';
import { applyRetry } from '../../../src/cli/control.js';
import { readStoreFiles } from '../../../src/store/file-format.js';
import { openLowdbStore } from '../../../src/store/lowdb.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import type { Store } from '../../../src/store/port.js';
import { requeue } from '../../../src/delivery/outbox/requeue.js';
import { COLLECTIONS } from '../../../src/store/records.js';
import type { OutboxRecord } from '../../../src/delivery/outbox/record.js';
import { newSecret, runWebhooks, startReceiver, turns, type Receiver } from '../../helpers/receiver.js';

type Run = Awaited<ReturnType<typeof runWebhooks>>;
const txid = (n: number) => n.toString(16).padStart(64, '0');

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});
const receiver = async (...args: Parameters<typeof startReceiver>): Promise<Receiver> => {
  const r = await startReceiver(...args);
  cleanup.push(() => r.close());
  return r;
};
const run = async (...args: Parameters<typeof runWebhooks>): Promise<Run> => {
  const r = await runWebhooks(...args);
  cleanup.push(() => r.stop());
  return r;
};
async function tempStore(): Promise<{ path: string; open: () => Promise<Store> }> {
  const dir = await mkdtemp(join(tmpdir(), 'spout-webhook-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'spout.json');
  return { path, open: () => openLowdbStore({ path, flushDelayMs: 5 }) };
}
/** The store as it is on disk (snapshot plus journal), by collection and id. */
const onDisk = async (path: string) =>
  (await readStoreFiles(path)).data.collections as Record<string, Record<string, Record<string, unknown>>>;

describe('webhook output: durable outbox', () => {
  it('resumes the pending deliveries of the store on start, without any new event', async () => {
    const secret = newSecret();
    const rx = await receiver(secret);
    const file = await tempStore();
    // A previous run recorded these, then was killed before attempting them.
    const before = await file.open();
    const outbox = before.collection<OutboxRecord>(COLLECTIONS.outbox);
    const envelope = createEnvelope('whale.dropped', { txid: txid(1), reason: 'evicted' }, 'feed');
    const record = createRecord('hook', envelope, new Date(Date.now() - 60_000));
    const dead = {
      ...createRecord(
        'hook',
        createEnvelope('whale.dropped', { txid: txid(2), reason: 'x' }, 'feed'),
        new Date(),
      ),
      status: 'dead' as const,
      nextAttemptAt: null,
    };
    const other = createRecord('other-hook', envelope, new Date());
    for (const r of [record, dead, other]) outbox.put(r.id, r);
    await before.close();

    const r = await run({ hook: { url: rx.url, secret } }, await file.open());
    await turns(() => r.record('hook', envelope.id)?.status === 'delivered', 'resumed delivery');
    expect(rx.requests).toHaveLength(1);
    expect(rx.requests[0]).toMatchObject({ verified: true, body: record.body });
    expect(rx.requests[0]!.headers['webhook-id']).toBe(envelope.id);

    await r.stop();
    const disk = await onDisk(file.path);
    expect(disk.outbox![record.id]).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200 });
    expect(disk.outbox![dead.id]).toMatchObject({ status: 'dead', attempts: 0 });
    expect(disk.outbox![other.id]).toMatchObject({ status: 'pending', attempts: 0 });
    expect(disk.deliveries![`${record.id}#1`]).toMatchObject({
      outboxId: record.id,
      instance: 'hook',
      attempt: 1,
      statusCode: 200,
      outcome: 'delivered',
    });
  });

  it('has the record on disk before the first attempt, and logs every attempt', async () => {
    const secret = newSecret();
    const file = await tempStore();
    const seenOnDisk: unknown[] = [];
    const rx = await receiver(secret, async (q) => {
      const id = `hook/${String(q.headers['webhook-id'])}`;
      seenOnDisk.push((await onDisk(file.path)).outbox?.[id]);
      return { status: q.n === 1 ? 502 : 200 };
    });
    const r = await run({ hook: { url: rx.url, secret, retry: ['10ms'] } }, await file.open());
    const e = r.publish(txid(3));
    await turns(() => r.record('hook', e.id)?.status === 'delivered', 'delivered');
    expect(seenOnDisk[0]).toMatchObject({
      status: 'pending',
      attempts: 0,
      eventId: e.id,
      channel: 'webhook',
    });
    // The failed attempt was flushed before the retry went out.
    expect(seenOnDisk[1]).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 502 });
    const [first, second] = r.attempts('hook', e.id);
    expect(first).toMatchObject({ attempt: 1, statusCode: 502, outcome: 'retry' });
    expect(Date.parse(first!.nextAttemptAt!)).toBeGreaterThan(Date.parse(first!.createdAt));
    expect(first!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(second).toMatchObject({ attempt: 2, statusCode: 200, outcome: 'delivered' });
  });

  it('loses nothing at shutdown: an aborted request is retried on the next start, with the same webhook-id', async () => {
    const secret = newSecret();
    const rx = await receiver(secret, [{ hang: true }]);
    const file = await tempStore();
    const first = await run({ hook: { url: rx.url, secret } }, await file.open());
    const e = first.publish(txid(4));
    await turns(() => rx.requests.length === 1, 'request in flight');
    expect(await first.stop()).toEqual([]);
    const disk = await onDisk(file.path);
    expect(disk.outbox![`hook/${e.id}`]).toMatchObject({ status: 'pending', attempts: 0 });
    expect(disk.deliveries).toBeUndefined();

    rx.script([{ status: 200 }]);
    const second = await run({ hook: { url: rx.url, secret } }, await file.open());
    await turns(() => second.record('hook', e.id)?.status === 'delivered', 'delivered after restart');
    expect(second.record('hook', e.id)!.attempts).toBe(1);
    expect(rx.requests.map((q) => q.headers['webhook-id'])).toEqual([e.id, e.id]);
    // Published again (the input saw it again after the restart): not delivered twice.
    second.publish(txid(4));
    await second.kernel.bus.drain();
    expect(rx.requests).toHaveLength(2);
  });

  it('ends dead after the last attempt, kept; requeue makes it pending and it is delivered', async () => {
    const secret = newSecret();
    const rx = await receiver(secret, [{ status: 500 }]);
    const store = createMemoryStore();
    const first = await run({ hook: { url: rx.url, secret, retry: ['10ms', '10ms'] } }, store);
    const e = first.publish(txid(5));
    await turns(() => first.record('hook', e.id)?.status === 'dead', 'dead');
    const dead = first.record('hook', e.id)!;
    expect(dead).toMatchObject({ attempts: 3, lastStatus: 500, nextAttemptAt: null });
    expect(first.attempts('hook', e.id).map((a) => a.outcome)).toEqual(['retry', 'retry', 'dead']);
    expect(first.log.lines.find((l) => String(l.msg).startsWith('webhook delivery dead'))).toMatchObject({
      level: 'warn',
      eventId: e.id,
    });
    expect(await first.kernel.metrics.registry.metrics()).toContain(
      'spout_webhook_deliveries_total{instance="hook",outcome="dead"} 1',
    );
    await first.stop();

    // `spout deliveries retry`, Spout stopped: the record is pending again, due now.
    const now = new Date();
    const again = requeue(dead, now);
    expect(again).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: now.toISOString() });
    store.collection<OutboxRecord>(COLLECTIONS.outbox).put(again.id, again);
    rx.script([{ status: 200 }]);
    const second = await run({ hook: { url: rx.url, secret, retry: ['10ms', '10ms'] } }, store);
    await turns(() => second.record('hook', e.id)?.status === 'delivered', 'delivered after requeue');
    expect(second.record('hook', e.id)).toMatchObject({ attempts: 1, lastStatus: 200 });
    expect(rx.requests.at(-1)!.headers['webhook-id']).toBe(e.id);
    // The delivery log keeps the first round; the new attempt is numbered after it.
    expect(second.attempts('hook', e.id).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retry'],
      [2, 'retry'],
      [3, 'dead'],
      [4, 'delivered'],
    ]);
  });

  it('picks up deliveries that `spout deliveries retry` requeues while it runs, re-enabling an endpoint disabled by 410', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const secret = newSecret();
    const rx = await receiver(secret, [{ status: 410 }]);
    const r = await run({ hook: { url: rx.url, secret } });
    const e = r.publish(txid(6));
    await turns(() => r.record('hook', e.id)?.status === 'disabled', 'disabled');
    expect(r.kernel.health.report().instances.hook).toMatchObject({
      state: 'unhealthy',
      reason: GONE_REASON,
    });

    // What the running process does with a `spout deliveries retry ID` request.
    rx.script([{ status: 200 }]);
    expect(applyRetry(r.store, { type: 'deliveries.retry', ids: [`hook/${e.id}`] }, new Date())).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    await turns(() => r.record('hook', e.id)?.status === 'delivered', 'delivered after the retry request');
    expect(rx.requests).toHaveLength(2);
    expect(r.kernel.health.report().instances.hook).toMatchObject({ state: 'healthy' });
    // New events go out again.
    const next = r.publish(txid(7));
    await turns(() => r.record('hook', next.id)?.status === 'delivered', 'a new event delivered');
  });
});
