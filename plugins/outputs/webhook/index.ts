import { defineOutput, createOutboxObserver } from '../../../src/index.js';
import { WebhookOptions, resolveOptions } from './options.js';
import { post } from './send.js';
import { createSigner } from './sign.js';

/**
 * How often the outbox looks for deliveries made pending by `spout deliveries retry` (which the
 * running process applies to the store).
 */
const RESCAN_MS = 2000;

/**
 * `webhook`: POSTs each routed envelope as JSON, signed per Standard Webhooks (`webhook-id` =
 * the event id on every attempt, `webhook-timestamp`, `webhook-signature` with one `v1,…` per
 * secret). At-least-once from a durable outbox in the store: recorded and flushed before the
 * first attempt, resumed on start; retried on the `retry` schedule with jitter (honouring
 * `Retry-After`); dead after the last attempt (kept, retryable); a 410 disables the endpoint.
 */
export default defineOutput({
  name: 'webhook',
  description: 'POSTs events as Standard Webhooks (signed JSON) from a durable, retrying outbox.',
  options: WebhookOptions,
  sharedWork: true,
  defaultEvents: ['whale.*'],
  resolve: (options) => resolveOptions(options),
  setup(ctx) {
    const o = ctx.options;
    const signer = createSigner(o.secrets);
    const worker = ctx.outbox({
      channel: 'webhook',
      concurrency: o.concurrency,
      scheduleMs: o.scheduleMs,
      observer: createOutboxObserver({
        instance: ctx.instance,
        channel: 'webhook',
        metrics: ctx.metrics,
        health: ctx.health,
        log: ctx.log,
      }),
      send: (record, at, signal) =>
        post({
          url: o.url,
          body: record.body,
          headers: { ...o.headers, ...signer.sign(record.eventId, at, record.body) },
          timeoutMs: o.timeoutMs,
          signal,
        }),
    });
    ctx.log.debug(
      { host: new URL(o.url).host, attempts: 1 + o.scheduleMs.length, secrets: o.secrets.length },
      'webhook endpoint configured',
    );
    ctx.scheduler.every(RESCAN_MS, () => void worker.rescan(), { name: 'webhook outbox rescan' });
    return {
      start: () => worker.start(),
      deliver: (envelope) => worker.enqueue(envelope),
      stop: () => worker.stop(),
    };
  },
});
