import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GONE_REASON } from '../../../src/delivery/outbox/observe.js';
import { newSecret, runWebhooks, startReceiver, turns, type Receiver } from '../../helpers/receiver.js';

type Run = Awaited<ReturnType<typeof runWebhooks>>;

const txid = (n: number) => n.toString(16).padStart(64, '0');

let receivers: Receiver[] = [];
let runs: Run[] = [];
const receiver = async (...args: Parameters<typeof startReceiver>) => {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
};
const run = async (...args: Parameters<typeof runWebhooks>) => {
  const r = await runWebhooks(...args);
  runs.push(r);
  return r;
};
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(runs.map((r) => r.stop()));
  await Promise.all(receivers.map((r) => r.close()));
  runs = [];
  receivers = [];
});

/** A port nothing listens on: connections are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('webhook output: signing', () => {
  it('signs every delivery so standardwebhooks verifies it; a tampered body, id or timestamp, another secret or an old timestamp is rejected', async () => {
    const secret = newSecret();
    const rx = await receiver(secret);
    const r = await run({ hook: { url: rx.url, secret, headers: { 'x-team': 'desk' } } });
    const events = [r.publish(txid(1)), r.publish(txid(2))];
    await turns(() => events.every((e) => r.record('hook', e.id)?.status === 'delivered'), 'delivered');

    expect(rx.requests).toHaveLength(2);
    for (const [i, req] of rx.requests.entries()) {
      expect(req.verified).toBe(true);
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/hook');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['x-team']).toBe('desk');
      expect(req.headers['webhook-id']).toBe(events[i]!.id);
      expect(Math.abs(Number(req.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
      expect(JSON.parse(req.body)).toEqual(events[i]);
    }

    // Re-verify the captured request, modified, with the library itself.
    const first = rx.requests[0]!;
    const headers = rx.signed(first);
    const wh = new Webhook(secret);
    expect(wh.verify(first.body, headers)).toEqual(events[0]);
    const rejects = (body: string, h: Record<string, string>, key = wh) =>
      expect(() => key.verify(body, h)).toThrow(WebhookVerificationError);
    rejects(first.body.replace('"test"', '"tesT"'), headers); // tampered body
    rejects(first.body, { ...headers, 'webhook-id': events[1]!.id }); // another id
    rejects(first.body, {
      ...headers,
      'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1),
    });
    rejects(first.body, headers, new Webhook(newSecret())); // wrong secret

    // Replayed 10 minutes later: outside the library's tolerance.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 10 * 60_000);
    expect(() => wh.verify(first.body, headers)).toThrow(/too old/);
    vi.useRealTimers();

    const metrics = await r.kernel.metrics.registry.metrics();
    expect(metrics).toContain('spout_webhook_deliveries_total{instance="hook",outcome="delivered"} 2');
    expect(metrics).toContain('spout_webhook_attempts_total{instance="hook"} 2');
    expect(metrics).toContain('spout_webhook_latency_seconds_count{instance="hook"} 2');
    expect(metrics).toContain('spout_outbox_depth{instance="hook"} 0');
  });

  it('signs with every configured secret: a receiver knowing only the second one verifies', async () => {
    const [old, current] = [newSecret(), newSecret()];
    const rx = await receiver(current);
    const r = await run({ hook: { url: rx.url, secret: [old, current] } });
    const e = r.publish(txid(3));
    await turns(() => r.record('hook', e.id)?.status === 'delivered', 'delivered');
    const [req] = rx.requests;
    expect(req!.verified).toBe(true);
    const signatures = String(req!.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures.every((s) => /^v1,[A-Za-z0-9+/]+=*$/.test(s))).toBe(true);
    // The first secret's holder verifies the same request too.
    expect(new Webhook(old).verify(req!.body, rx.signed(req!))).toEqual(e);
  });
});

describe('webhook output: failures', () => {
  it('stops all attempts to an endpoint that answers 410, disables its deliveries, and says so in /health and the log', async () => {
    const secret = newSecret();
    let gone = '';
    const rx = await receiver(secret, (req) =>
      req.headers['webhook-id'] === gone ? { status: 410 } : { status: 503 },
    );
    const r = await run({ hook: { url: rx.url, secret, retry: ['40ms', '40ms'], concurrency: 1 } });
    const a = r.publish(txid(10));
    await turns(() => r.record('hook', a.id)?.attempts === 1, 'a first attempt');
    expect(r.record('hook', a.id)).toMatchObject({ status: 'pending', lastStatus: 503 });
    expect(r.kernel.health.report().instances.hook).toMatchObject({
      state: 'degraded',
      reason: 'last delivery failed: HTTP 503',
    });

    const b = r.publish(txid(11));
    gone = b.id;
    await turns(() => r.record('hook', b.id)?.status === 'disabled', 'disabled by 410');
    const c = r.publish(txid(12));
    await turns(() => r.record('hook', c.id) !== undefined, 'c recorded');
    await r.kernel.bus.drain();
    const requestsAfter410 = rx.requests.length;
    // Longer than a's retry delay: nothing more is sent.
    await new Promise((res) => setTimeout(res, 150));
    expect(rx.requests.length).toBe(requestsAfter410);

    for (const e of [a, b, c])
      expect(r.record('hook', e.id)).toMatchObject({ status: 'disabled', nextAttemptAt: null });
    expect(r.record('hook', b.id)).toMatchObject({ attempts: 1, lastStatus: 410 });
    expect(r.attempts('hook', b.id)).toMatchObject([{ attempt: 1, statusCode: 410, outcome: 'disabled' }]);
    expect(r.record('hook', c.id)!.attempts).toBe(0);
    const report = r.kernel.health.report();
    expect(report.status).toBe('unhealthy');
    expect(report.instances.hook).toMatchObject({ state: 'unhealthy', reason: GONE_REASON });
    expect(r.log.lines.filter((l) => l.msg === GONE_REASON)).toHaveLength(1);
    expect(r.log.lines.find((l) => l.msg === GONE_REASON)).toMatchObject({
      level: 'error',
      instance: 'hook',
    });
    const metrics = await r.kernel.metrics.registry.metrics();
    expect(metrics).toContain('spout_webhook_deliveries_total{instance="hook",outcome="disabled"} 3');
  });

  it('times out a hung receiver and retries, with the same webhook-id', async () => {
    const secret = newSecret();
    const rx = await receiver(secret, [{ hang: true }, { status: 204 }]);
    const r = await run({ hook: { url: rx.url, secret, timeout: '200ms', retry: ['50ms'] } });
    const e = r.publish(txid(20));
    await turns(() => r.record('hook', e.id)?.status === 'delivered', 'delivered on the retry');
    const [first, second] = r.attempts('hook', e.id);
    expect(first).toMatchObject({ attempt: 1, outcome: 'retry', error: 'timed out after 200 ms' });
    expect(first!.statusCode).toBeUndefined();
    expect(first!.latencyMs).toBeGreaterThanOrEqual(190);
    expect(second).toMatchObject({ attempt: 2, outcome: 'delivered', statusCode: 204 });
    expect(r.record('hook', e.id)).toMatchObject({ attempts: 2, lastStatus: 204 });
    expect(rx.requests.map((q) => q.headers['webhook-id'])).toEqual([e.id, e.id]);
    expect(r.kernel.health.report().instances.hook).toMatchObject({ state: 'healthy' });
  });

  it('keeps one endpoint that is down (refused or hung) from delaying deliveries to another', async () => {
    const secret = newSecret();
    const up = await receiver(secret);
    const hung = await receiver(secret, [{ hang: true }]);
    const refused = `http://127.0.0.1:${await closedPort()}/hook`;
    const r = await run({
      refused: { url: refused, secret },
      hung: { url: hung.url, secret, concurrency: 1 },
      up: { url: up.url, secret },
    });
    const began = performance.now();
    const events = [1, 2, 3, 4, 5].map((n) => r.publish(txid(100 + n)));
    await turns(() => events.every((e) => r.record('up', e.id)?.status === 'delivered'), 'up delivered');
    const tookMs = performance.now() - began;

    expect(up.requests.map((q) => q.headers['webhook-id']).sort()).toEqual(events.map((e) => e.id).sort());
    expect(up.requests.every((q) => q.verified)).toBe(true);
    expect(tookMs).toBeLessThan(1000);
    // Meanwhile the hung endpoint holds its single slot, and the refused one waits for its first retry.
    expect(hung.requests).toHaveLength(1);
    await turns(() => events.every((e) => r.record('refused', e.id)?.attempts === 1), 'refused attempts');
    for (const e of events) {
      const rec = r.record('refused', e.id)!;
      expect(rec).toMatchObject({ status: 'pending' });
      expect(rec.lastError).toMatch(/ECONNREFUSED/);
      expect(Date.parse(rec.nextAttemptAt!) - Date.parse(rec.updatedAt)).toBeGreaterThanOrEqual(4000);
    }
    expect(r.kernel.health.report().instances.refused).toMatchObject({ state: 'degraded' });
    expect(r.kernel.health.report().instances.up).toMatchObject({ state: 'healthy' });
  });

  it('keeps at most `concurrency` requests in flight; a request aborted by shutdown is not an attempt', async () => {
    const secret = newSecret();
    const rx = await receiver(secret, [{ hang: true }]);
    const r = await run({ hook: { url: rx.url, secret, concurrency: 2 } });
    const events = [1, 2, 3, 4, 5].map((n) => r.publish(txid(200 + n)));
    await turns(() => rx.requests.length === 2, 'two requests in flight');
    await r.kernel.bus.drain();
    for (let i = 0; i < 200; i++) await new Promise((res) => setImmediate(res));
    expect(rx.requests).toHaveLength(2);

    expect(await r.stop()).toEqual([]);
    for (const e of events) expect(r.record('hook', e.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(r.attempts('hook', events[0]!.id)).toEqual([]);
  });
});
