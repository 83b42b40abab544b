import { describe, expect, it } from 'vitest';
import { testScope } from '../../helpers/scope.js';
import {
  HTTP_FAULTS,
  startFaultyHttp,
  startFaultyTls,
  type FaultyHttp,
  type FaultyTls,
} from '../../helpers/faulty-server.js';
import { newSecret, runWebhooks, startReceiver, turns, type Receiver } from '../../helpers/receiver.js';

// Network faults between the webhook output (got) and the receiver, made by a real socket server
// on 127.0.0.1 (or, for DNS, by fake names): each one must end as a logged, retried attempt, the
// record kept, the slot freed, and the next attempt delivered.

type Run = Awaited<ReturnType<typeof runWebhooks>>;
const txid = (n: number) => n.toString(16).padStart(64, '0');

const { later, fakeDns } = testScope();
const receiver = (secret: string) => later(startReceiver(secret), (r: Receiver) => r.close());
const faulty = (origin: string) => later(startFaultyHttp(origin), (f: FaultyHttp) => f.close());
const tlsFault = (kind: 'self-signed' | 'plain') => later(startFaultyTls(kind), (f: FaultyTls) => f.close());
const run = (hooks: Parameters<typeof runWebhooks>[0]) => later(runWebhooks(hooks), (r: Run) => r.stop());

/** What got reports for each fault, as logged with the attempt. */
const ERRORS: Record<(typeof HTTP_FAULTS)[number], RegExp> = {
  reset: /^read ECONNRESET$/,
  close: /^ECONNRESET: socket hang up$/,
  'half-head': /^ECONNRESET: socket hang up$/,
  // The 200 came, but not the whole body: not taken as delivered.
  'short-body': /^ECONNRESET: The server aborted pending request$/,
  'chunked-cut': /^ECONNRESET: The server aborted pending request$/,
  hang: /^timed out after 300 ms$/,
};

describe('webhook output: a receiver that misbehaves on the socket', () => {
  it.each(HTTP_FAULTS)(
    '%s: the attempt is logged as a retry, the record stays pending, and the next attempt delivers it',
    async (fault) => {
      const secret = newSecret();
      const rx = await receiver(secret);
      const front = await faulty(new URL(rx.url).origin);
      front.fail(fault);
      const r = await run({
        hook: {
          url: `${front.origin}/hook`,
          secret,
          timeout: '300ms',
          retry: ['200ms', '200ms'],
          concurrency: 1,
        },
      });
      const e = r.publish(txid(1));

      await turns(() => r.record('hook', e.id)?.attempts === 1, 'first attempt recorded');
      const failed = r.record('hook', e.id)!;
      expect(failed).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastError: expect.stringMatching(ERRORS[fault]),
      });
      expect(failed.lastStatus).toBeUndefined();
      expect(Date.parse(failed.nextAttemptAt!)).toBeGreaterThan(Date.parse(failed.updatedAt));
      expect(r.kernel.health.report().instances.hook).toMatchObject({
        state: 'degraded',
        reason: expect.stringMatching(/^last delivery failed: /),
      });
      if (fault === 'hang') {
        // Cut off by the request timeout: the client closed the hung connection.
        await turns(() => front.abandoned() === 1, 'hung connection closed by the client');
      }

      // The slot is free: a second event goes out (concurrency 1) and the first is delivered on
      // its next attempt, with the same webhook-id.
      const f = r.publish(txid(2));
      await turns(
        () => [e, f].every((x) => r.record('hook', x.id)?.status === 'delivered'),
        'both delivered',
      );
      const [first, second] = r.attempts('hook', e.id);
      expect(first).toMatchObject({
        attempt: 1,
        outcome: 'retry',
        error: expect.stringMatching(ERRORS[fault]),
      });
      expect(first!.statusCode).toBeUndefined();
      expect(first!.nextAttemptAt).toBe(failed.nextAttemptAt);
      if (fault === 'hang') expect(first!.latencyMs).toBeGreaterThanOrEqual(290);
      expect(second).toMatchObject({ attempt: 2, outcome: 'delivered', statusCode: 200 });
      expect(r.record('hook', e.id)).toMatchObject({ attempts: 2, lastStatus: 200 });
      expect(r.record('hook', e.id)!.lastError).toBeUndefined();
      expect(rx.requests.map((q) => q.headers['webhook-id']).sort()).toEqual([e.id, f.id].sort());
      expect(rx.requests.every((q) => q.verified)).toBe(true);
      expect(front.requests.map((q) => q.fault)).toEqual([fault, 'pass', 'pass']);
      expect(r.kernel.health.report().instances.hook).toMatchObject({ state: 'healthy' });
      expect(await r.stop()).toEqual([]);
    },
  );

  it('a 200 whose body is cut short but well framed is a delivery: the answer body is not read', async () => {
    const secret = newSecret();
    const rx = await receiver(secret);
    const front = await faulty(new URL(rx.url).origin);
    front.fail('half-json');
    const r = await run({ hook: { url: `${front.origin}/hook`, secret } });
    const e = r.publish(txid(9));
    await turns(() => r.record('hook', e.id)?.status === 'delivered', 'delivered');
    expect(r.attempts('hook', e.id)).toMatchObject([{ attempt: 1, outcome: 'delivered', statusCode: 200 }]);
  });

  it.each(['ENOTFOUND', 'EAI_AGAIN'] as const)(
    'a DNS failure (%s) is retried, and delivered once the name resolves',
    async (code) => {
      const dns = fakeDns();
      const secret = newSecret();
      const rx = await receiver(secret);
      const port = new URL(rx.url).port;
      const host = `hooks-${code.toLowerCase()}.fault.test`;
      dns.answer(host, code, '127.0.0.1');
      const r = await run({
        hook: { url: `http://${host}:${port}/hook`, secret, retry: ['100ms'], concurrency: 1 },
      });
      const e = r.publish(txid(3));
      await turns(() => r.record('hook', e.id)?.status === 'delivered', 'delivered on the retry');
      expect(r.attempts('hook', e.id).map((a) => [a.attempt, a.outcome, a.error])).toEqual([
        [1, 'retry', `getaddrinfo ${code} ${host}`],
        [2, 'delivered', undefined],
      ]);
      expect(dns.lookups(host)).toBe(2);
      expect(rx.requests).toHaveLength(1);
      expect(rx.requests[0]!.verified).toBe(true);
    },
  );

  it.each([
    ['self-signed', /self-signed certificate/],
    ['plain', /EPROTO.*wrong version number/],
  ] as const)(
    'an https:// endpoint whose TLS fails (%s) is retried on the schedule, then dead and kept; the slot is never stuck',
    async (kind, error) => {
      const server = await tlsFault(kind);
      const secret = newSecret();
      const r = await run({
        hook: { url: `${server.origin}/hook`, secret, retry: ['30ms', '30ms'], concurrency: 1 },
      });
      const events = [r.publish(txid(4)), r.publish(txid(5))];
      await turns(() => events.every((e) => r.record('hook', e.id)?.status === 'dead'), 'both dead');
      for (const e of events) {
        expect(r.record('hook', e.id)).toMatchObject({ attempts: 3, nextAttemptAt: null });
        expect(r.record('hook', e.id)!.lastError).toMatch(error);
        expect(r.attempts('hook', e.id).map((a) => a.outcome)).toEqual(['retry', 'retry', 'dead']);
        expect(r.attempts('hook', e.id).every((a) => error.test(a.error ?? ''))).toBe(true);
      }
      // Every attempt reached the server: one slot, six handshakes, none left hanging.
      expect(server.connections()).toBe(6);
      expect(r.kernel.health.report().instances.hook).toMatchObject({ state: 'degraded' });
      expect(await r.stop()).toEqual([]);
    },
  );
});
