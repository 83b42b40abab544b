import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createOutboxObserver } from '../../src/delivery/outbox/observe.js';
import { createOutboxWorker } from '../../src/delivery/outbox/worker.js';
import { createEnvelope } from '../../src/bus/envelope.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { COLLECTIONS } from '../../src/store/records.js';
import type { DeliveryAttempt, OutboxRecord } from '../../src/delivery/outbox/record.js';
import { captureLog, until } from '../helpers/kernel.js';

describe('outbox worker', () => {
  it('takes a send that throws for a failed attempt: scheduled like any failure, logged, then dead; never re-run at once', async () => {
    const store = createMemoryStore();
    const log = captureLog();
    const controller = new AbortController();
    let calls = 0;
    const worker = createOutboxWorker({
      instance: 'hook',
      channel: 'webhook',
      store,
      log: log.log,
      signal: controller.signal,
      concurrency: 1,
      scheduleMs: [30],
      send: async () => {
        calls++;
        throw new Error('cannot render the record');
      },
      observer: createOutboxObserver({
        instance: 'hook',
        channel: 'webhook',
        metrics: new Registry(),
        health: { set() {} },
        log: log.log,
      }),
      random: () => 0.5,
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
});
