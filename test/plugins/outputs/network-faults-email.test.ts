import { describe, expect, it } from 'vitest';
import type { AccuracyChange, EventType } from '../../../src/bus/events.js';
import { until } from '../../helpers/kernel.js';
import { testScope } from '../../helpers/scope.js';
import {
  SMTP_FAULTS,
  startFaultySmtp,
  startFaultyTls,
  type FaultySmtp,
  type FaultyTls,
} from '../../helpers/faulty-server.js';
import { runSpout, startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';

// Network faults between the email output (nodemailer's SMTP pool) and the server, made by a
// real socket server on 127.0.0.1 in front of a real SMTP server (or by fake DNS names): each
// must end as a logged attempt retried on the schedule, the mail kept in the outbox, the pool's
// connection slot free, and the same mail delivered on the next attempt.

type Run = Awaited<ReturnType<typeof runSpout>>;

const { later, fakeDns } = testScope();
const smtp = () => later(startSmtp(), (s: SmtpTestServer) => s.close());
const faulty = (port: number) => later(startFaultySmtp(port), (f: FaultySmtp) => f.close());
const spout = (yaml: string) => later(runSpout(yaml), (r: Run) => r.stop());

const yaml = (url: string, extra: string[] = []) =>
  [
    'outputs:',
    '  ops:',
    '    use: email',
    `    smtp: "${url}"`,
    '    from: "Spout alerts <alerts@example.com>"',
    '    to: ops@example.com',
    '    concurrency: 1',
    ...extra.map((l) => `    ${l}`),
  ].join('\n');
const change: AccuracyChange = { accuracy: 0.7, window: '7d', threshold: 0.75, level: 'warning', sample: 30 };
const alert = (r: Run) => r.kernel.bus.publish('accuracy.degraded' as EventType, change as never, 'accuracy');
const logged = (r: Run, start: string) => r.log.lines.some((l) => String(l.msg).startsWith(start));

/** What nodemailer reports for each fault, as logged with the attempt. */
const ERRORS: Record<(typeof SMTP_FAULTS)[number], RegExp> = {
  silent: /^ETIMEDOUT: Greeting never received$/,
  'half-greeting': /^ECONNECTION: the server closed the connection before accepting the mail$/,
  'reset-in-data': /ECONNRESET/,
  'hang-after-data': /^ETIMEDOUT: Timeout$/,
  'bad-starttls': /^ESOCKET: self-signed certificate; the server's TLS certificate did not verify$/,
};

describe('email output: an SMTP server that misbehaves on the socket', () => {
  it.each(SMTP_FAULTS)(
    '%s: the attempt is logged as a retry, the mail stays in the outbox, and the next attempt delivers it',
    async (fault) => {
      const server = await smtp();
      const front = await faulty(server.port);
      // `starttls` is `auto` on loopback: STARTTLS is used when offered (bad-starttls offers it).
      const r = await spout(
        yaml(`smtp://127.0.0.1:${front.port}`, ['retry: [200ms, 200ms]', 'timeout: 400ms']),
      );
      // The login check at start went through first, on its own connection.
      await until(() => logged(r, 'SMTP server reachable'), 5000, 'check at start');
      front.fail(fault);
      const e = alert(r);

      await until(() => r.record('ops', e.id)?.attempts === 1, 5000, 'first attempt recorded');
      const failed = r.record('ops', e.id)!;
      expect(failed).toMatchObject({ status: 'pending', lastError: expect.stringMatching(ERRORS[fault]) });
      expect(Date.parse(failed.nextAttemptAt!)).toBeGreaterThan(Date.parse(failed.updatedAt));
      expect(r.kernel.health.report().instances.ops).toMatchObject({ state: 'degraded' });
      expect(logged(r, 'e-mail attempt 1 failed')).toBe(true);

      // The pool's one connection is free again: the same mail goes out on the next attempt, and
      // a second mail after it.
      await until(() => r.record('ops', e.id)?.status === 'delivered', 5000, 'delivered on the retry');
      const f = alert(r);
      await until(() => r.record('ops', f.id)?.status === 'delivered', 5000, 'second mail delivered');
      const [first, second] = r.attempts('ops', e.id);
      expect(first).toMatchObject({ attempt: 1, outcome: 'retry', nextAttemptAt: failed.nextAttemptAt });
      if (fault === 'silent' || fault === 'hang-after-data') {
        // Cut off by the timeout, not left waiting.
        expect(first!.latencyMs).toBeGreaterThanOrEqual(390);
        expect(first!.latencyMs).toBeLessThan(3000);
      }
      expect(second).toMatchObject({ attempt: 2, outcome: 'delivered' });
      expect(server.mails.map((m) => m.mail.messageId)).toEqual([
        `<${e.id}@example.com>`,
        `<${f.id}@example.com>`,
      ]);
      expect(front.connections.slice(1)).toEqual([
        fault,
        'pass',
        ...front.connections.slice(3).map(() => 'pass'),
      ]);
      if (fault === 'hang-after-data') expect(front.swallowed()).toBe(1);
      expect(r.kernel.health.report().instances.ops).toMatchObject({ state: 'healthy' });
      expect(await r.stop()).toEqual([]);
    },
  );

  it.each(['ENOTFOUND', 'EAI_AGAIN'] as const)(
    'a DNS failure (%s) is retried, and the mail delivered once the name resolves',
    async (code) => {
      const dns = fakeDns();
      const server = await smtp();
      const host = `mail-${code.toLowerCase()}.fault.test`;
      // The check at start and the first attempt find no answer; the retry finds loopback.
      dns.answer(host, code, code, '127.0.0.1');
      const r = await spout(
        yaml(`smtp://${host}:${server.port}`, ['starttls: never', 'retry: [200ms]', 'timeout: 2s']),
      );
      await until(() => logged(r, 'SMTP server check failed'), 5000, 'check at start');
      const e = alert(r);
      await until(() => r.record('ops', e.id)?.status === 'delivered', 5000, 'delivered on the retry');
      expect(r.attempts('ops', e.id).map((a) => [a.attempt, a.outcome, a.error])).toEqual([
        [1, 'retry', `EDNS: getaddrinfo ${code} ${host}`],
        [2, 'delivered', undefined],
      ]);
      expect(dns.lookups(host)).toBe(3);
      expect(server.mails).toHaveLength(1);
    },
  );

  it.each([
    ['self-signed', /self-signed certificate/],
    ['plain', /wrong version number/],
  ] as const)(
    'smtps:// to a server whose TLS fails (%s): retried on the schedule, then dead and kept; the slot is never stuck',
    async (kind, error) => {
      const server = await later(startFaultyTls(kind), (s: FaultyTls) => s.close());
      const r = await spout(yaml(`smtps://127.0.0.1:${server.port}`, ['retry: [30ms, 30ms]', 'timeout: 2s']));
      const events = [alert(r), alert(r)];
      await until(() => events.every((e) => r.record('ops', e.id)?.status === 'dead'), 5000, 'both dead');
      for (const e of events) {
        expect(r.record('ops', e.id)).toMatchObject({ attempts: 3, nextAttemptAt: null });
        expect(r.attempts('ops', e.id).map((a) => a.outcome)).toEqual(['retry', 'retry', 'dead']);
        expect(r.attempts('ops', e.id).every((a) => error.test(a.error ?? ''))).toBe(true);
      }
      // The check at start and three attempts per mail, one at a time: nothing left hanging.
      expect(server.connections()).toBe(7);
      expect(await r.stop()).toEqual([]);
    },
  );
});
