import { getEventListeners } from 'node:events';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createOutboxObserver } from '../../src/delivery/outbox/observe.js';
import { createOutboxWorker, type WorkerDeps } from '../../src/delivery/outbox/worker.js';
import type { AnyEnvelope } from '../../src/bus/envelope.js';
import type { Store } from '../../src/store/port.js';
import { createEnvelope } from '../../src/bus/envelope.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { COLLECTIONS } from '../../src/store/records.js';
import type { DeliveryAttempt, OutboxRecord } from '../../src/delivery/outbox/record.js';
import { captureLog, until } from '../helpers/kernel.js';

/** A webhook outbox worker of instance `hook` on `store`, its sends made by `send`. */
function outboxWorker(store: Store, concurrency: number, send: WorkerDeps<AnyEnvelope>['send']) {
  const log = captureLog();
  const controller = new AbortController();
  const worker = createOutboxWorker({
    instance: 'hook',
    channel: 'webhook',
    store,
    log: log.log,
    signal: controller.signal,
    concurrency,
    scheduleMs: [30],
    send,
    observer: createOutboxObserver({
      instance: 'hook',
      channel: 'webhook',
      metrics: new Registry(),
      health: { set() {} },
      log: log.log,
    }),
    random: () => 0.5,
  });
  return { worker, controller };
}

describe('outbox worker', () => {
  it('takes a send that throws for a failed attempt: scheduled like any failure, logged, then dead; never re-run at once', async () => {
    const store = createMemoryStore();
    let calls = 0;
    const { worker, controller } = outboxWorker(store, 1, async () => {
      calls++;
      throw new Error('cannot render the record');
    });
    const envelope = createEnvelope('tx.removed', { txid: 'ab'.repeat(32), reason: 'unknown' }, 'feed');
    await worker.enqueue(envelope);
    worker.start();
    const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
    const id = `hook/${envelope.id}`;
    await until(() => outbox.get(id)?.attempts === 1, 5000, 'the first attempt recorded');
    expect(outbox.get(id)).toMatchObject({
      status: 'pending',
      lastError: 'could not send: cannot render the record',
    });
    expect(Date.parse(outbox.get(id)!.nextAttemptAt!)).toBeGreaterThan(Date.now());
    // Before the fix the pump ran it again at once, round after round.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
    await until(() => outbox.get(id)?.status === 'dead', 5000, 'the delivery dead after the schedule');
    expect(calls).toBe(2);
    const attempts = [...store.collection<DeliveryAttempt>(COLLECTIONS.deliveries).entries()].map(
      ([, a]) => a,
    );
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'dead']);
    controller.abort();
    await worker.stop();
  });

  it("gives each attempt a signal of its own: the instance's keeps one listener however many are in flight, and aborting it aborts them all", async () => {
    const store = createMemoryStore();
    const signals: AbortSignal[] = [];
    const { worker, controller } = outboxWorker(
      store,
      4,
      (_record, _at, signal) =>
        new Promise((resolve) => {
          signals.push(signal);
          // As got does: a listener on the signal it is given, while the request is in flight.
          signal.addEventListener('abort', () => resolve({ error: 'aborted', latencyMs: 0, aborted: true }), {
            once: true,
          });
        }),
    );
    for (let i = 0; i < 4; i++)
      await worker.enqueue(
        createEnvelope('tx.removed', { txid: i.toString(16).padStart(64, '0'), reason: 'unknown' }, 'feed'),
      );
    worker.start();
    await until(() => signals.length === 4, 5000, 'four attempts in flight');
    expect(signals.every((s) => s !== controller.signal && !s.aborted)).toBe(true);
    // The worker's own listener and the scope's, not one more per request in flight.
    expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(2);
    controller.abort();
    expect(signals.every((s) => s.aborted)).toBe(true);
    await worker.stop();
    const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
    expect([...outbox.entries()].map(([, r]) => [r.status, r.attempts])).toEqual(
      Array.from({ length: 4 }, () => ['pending', 0]),
    );
  });

  it('writes the records of attempts settled in one turn once, together, at its end', async () => {
    const memory = createMemoryStore();
    let flushes = 0;
    const store = { ...memory, flush: () => (flushes++, memory.flush()) };
    const answers: Array<() => void> = [];
    const { worker, controller } = outboxWorker(
      store,
      4,
      () => new Promise((resolve) => answers.push(() => resolve({ statusCode: 200, latencyMs: 1 }))),
    );
    worker.start();
    for (let i = 0; i < 3; i++)
      await worker.enqueue(
        createEnvelope('tx.removed', { txid: i.toString(16).padStart(64, '0'), reason: 'unknown' }, 'feed'),
      );
    await until(() => answers.length === 3, 5000, 'three requests in flight');
    const before = flushes;
    for (const answer of answers) answer(); // three responses read in one poll of the sockets
    await until(() => worker.depth().inFlight === 0, 5000, 'the three attempts settled');
    expect(flushes - before).toBe(1);
    const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
    expect([...outbox.entries()].map(([, r]) => r.status)).toEqual(['delivered', 'delivered', 'delivered']);
    controller.abort();
    await worker.stop();
  });

  it('records without waiting for the disk, and attempts nothing before its record is written', async () => {
    const memory = createMemoryStore();
    let open!: () => void;
    const disk = new Promise<void>((r) => (open = r));
    // A store whose write takes until the test opens it: what enqueue waited for would hang here.
    const store = { ...memory, flush: () => disk };
    const sent: string[] = [];
    const { worker, controller } = outboxWorker(
      store,
      4,
      async (record) => (sent.push(record.eventId), { statusCode: 200, latencyMs: 1 }),
    );
    worker.start();
    const envelopes = Array.from({ length: 5 }, (_, i) =>
      createEnvelope('tx.removed', { txid: i.toString(16).padStart(64, '0'), reason: 'unknown' }, 'feed'),
    );
    for (const e of envelopes) await worker.enqueue(e); // as the output's slot does: one after another
    const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
    expect(envelopes.every((e) => outbox.get(`hook/${e.id}`)?.status === 'pending')).toBe(true);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]); // not on disk yet: not attempted
    open();
    await until(() => sent.length === 5, 5000, 'all five attempted once written');
    expect(sent.sort()).toEqual(envelopes.map((e) => e.id).sort());
    controller.abort();
    await worker.stop();
  });
});
