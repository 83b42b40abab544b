import { type AnyEnvelope, defineOutput, createOutboxObserver, isTestEnvelope } from '../../../src/index.js';
import { createDigest, isDigestEnvelope, formatDigest, type Digest, type DigestEnvelope } from './digest.js';
import { EmailOptions, resolveOptions } from './options.js';
import { formatEvent, type RenderedMail } from './format.js';
import { classifyMail, createMailer, type MailResult } from './send.js';

/** How often the outbox looks for deliveries made pending by `spout deliveries retry`. */
const RESCAN_MS = 2000;

/**
 * `email`: mails each routed event (accuracy alerts by default) through one pooled SMTP
 * transport: text and HTML, `Message-ID: <event id@sender domain>`, `Auto-Submitted:
 * auto-generated`. The mail is rendered once into the durable outbox (shared with webhooks) and
 * sent as stored on every attempt; failures follow the `retry` schedule, then the mail is dead
 * (kept, `spout deliveries retry`). One outbox record per event per instance: a restart or an
 * event published again never mails twice. With `digest`, `whale.*` events are collected in the
 * store and mailed as one digest per period instead.
 */
export default defineOutput({
  name: 'email',
  description: 'Mails accuracy alerts (and optionally whales, one by one or as digests) over SMTP.',
  options: EmailOptions,
  sharedWork: true,
  defaultEvents: ['accuracy.*'],
  resolve: (options) => resolveOptions(options),
  setup(ctx) {
    const o = ctx.options;
    const mailer = createMailer({ server: o.server, timeoutMs: o.timeoutMs, connections: o.concurrency });
    const render = (e: AnyEnvelope | DigestEnvelope): string => {
      const context = {
        instance: ctx.instance,
        domain: o.domain,
        subjectPrefix: o.subjectPrefix,
        now: new Date(),
      };
      const mail = isDigestEnvelope(e) ? formatDigest(e.data, context) : formatEvent(e, context);
      return JSON.stringify(mail);
    };
    const worker = ctx.outbox<AnyEnvelope | DigestEnvelope>({
      channel: 'email',
      concurrency: o.concurrency,
      scheduleMs: o.scheduleMs,
      observer: createOutboxObserver({
        instance: ctx.instance,
        channel: 'email',
        metrics: ctx.metrics,
        health: ctx.health,
        log: ctx.log,
      }),
      classify: classifyMail,
      render,
      send: async (record, _at, signal): Promise<MailResult> => {
        const mail = JSON.parse(record.body) as RenderedMail;
        const result = await mailer.send(mail, { from: o.from, to: o.to }, signal);
        if (result.rejected)
          ctx.log.warn(
            { eventId: record.eventId, rejected: result.rejected },
            `mail accepted for some recipients only; refused: ${result.rejected.join(', ')} (not sent again, so the others get no duplicate)`,
          );
        return result;
      },
    });
    let digest: Digest | null = null;
    if (o.digest) {
      const d = createDigest({
        instance: ctx.instance,
        store: ctx.store,
        log: ctx.log,
        enqueue: (envelope) => worker.enqueue(envelope),
      });
      const run = () => d.run().then(() => undefined);
      if ('every' in o.digest) ctx.scheduler.every(o.digest.every, run, { name: 'email digest' });
      else ctx.scheduler.cron(o.digest.cron, run, { name: 'email digest' });
      digest = d;
    }
    ctx.log.debug(
      {
        host: o.server.host,
        port: o.server.port,
        tls: o.server.secure ? 'tls' : `starttls ${o.server.starttls}`,
        recipients: o.to.length,
        attempts: 1 + o.scheduleMs.length,
        digest: o.digest,
      },
      'e-mail output configured',
    );
    ctx.scheduler.every(RESCAN_MS, () => void worker.rescan(), { name: 'email outbox rescan' });
    // The handle's stop runs before onStop handlers: the worker settles its attempts before the pool closes.
    ctx.onStop(() => mailer.close());
    return {
      start() {
        worker.start();
        // Tell at start, not days later with the first alert, that the server or the login is wrong.
        void mailer.check().then((problem) => {
          if (problem && !ctx.signal.aborted)
            ctx.log.warn(
              { problem },
              `SMTP server check failed: ${problem}; mails stay in the outbox and are retried`,
            );
          else if (!problem) ctx.log.debug('SMTP server reachable and login accepted');
        });
      },
      // A test whale (`spout test`) is mailed at once, not collected for the next digest.
      deliver: (envelope) =>
        digest && envelope.type.startsWith('whale.') && !isTestEnvelope(envelope)
          ? digest.add(envelope)
          : worker.enqueue(envelope),
      stop: () => worker.stop(),
    };
  },
});
