import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  newSecret,
  runWebhooks,
  startReceiver,
  turns,
  type Receiver,
  type Reply,
} from '../../helpers/receiver.js';

// Fake setTimeout and Date only: sockets, setImmediate and performance stay real, so the
// schedule is advanced by hand while requests go over loopback for real.

type Run = Awaited<ReturnType<typeof runWebhooks>>;
const txid = (n: number) => n.toString(16).padStart(64, '0');
let rx: Receiver | undefined;
let r: Run | undefined;

afterEach(async () => {
  await r?.stop();
  await rx?.close();
  vi.useRealTimers();
  r = rx = undefined;
});

/** No request beyond `n` has been sent after many I/O turns. */
async function stillAt(n: number) {
  for (let i = 0; i < 100; i++) await new Promise((res) => setImmediate(res));
  expect(rx!.requests).toHaveLength(n);
}

async function start(script: Reply[] | ((n: number) => Reply)) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const secret = newSecret();
  rx = await startReceiver(secret, typeof script === 'function' ? (q) => script(q.n) : script);
  r = await runWebhooks({ hook: { url: rx.url, secret } });
  return { run: r, rx };
}

describe('webhook output: retry schedule (fake timers)', () => {
  it('retries 500s on the default schedule with jitter and delivers on the fourth attempt, with one webhook-id', async () => {
    const { run, rx } = await start([{ status: 500 }, { status: 500 }, { status: 500 }, { status: 200 }]);
    const e = run.publish(txid(1));
    const schedule = [5_000, 5 * 60_000, 30 * 60_000];
    for (const [i, delay] of schedule.entries()) {
      await turns(() => run.record('hook', e.id)?.attempts === i + 1, `attempt ${i + 1} recorded`);
      const rec = run.record('hook', e.id)!;
      expect(rec).toMatchObject({ status: 'pending', lastStatus: 500 });
      const wait = Date.parse(rec.nextAttemptAt!) - Date.now();
      expect(wait).toBeGreaterThanOrEqual(delay * 0.8);
      expect(wait).toBeLessThanOrEqual(delay * 1.2);
      await vi.advanceTimersByTimeAsync(wait - 1);
      await stillAt(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      await turns(() => rx.requests.length === i + 2, `attempt ${i + 2} sent`);
    }
    await turns(() => run.record('hook', e.id)?.status === 'delivered', 'delivered');

    expect(run.record('hook', e.id)).toMatchObject({ attempts: 4, lastStatus: 200, nextAttemptAt: null });
    expect(rx.requests.map((q) => q.headers['webhook-id'])).toEqual([e.id, e.id, e.id, e.id]);
    expect(rx.requests.every((q) => q.verified)).toBe(true);
    // Each attempt is signed at its own time.
    expect(new Set(rx.requests.map((q) => q.headers['webhook-timestamp'])).size).toBe(4);
    expect(run.attempts('hook', e.id).map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 500, 'retry'],
      [2, 500, 'retry'],
      [3, 500, 'retry'],
      [4, 200, 'delivered'],
    ]);
    const metrics = await run.kernel.metrics.registry.metrics();
    expect(metrics).toContain('spout_webhook_deliveries_total{instance="hook",outcome="retry"} 3');
    expect(metrics).toContain('spout_webhook_attempts_total{instance="hook"} 4');
  });

  it('honours Retry-After in seconds, even when shorter than the schedule', async () => {
    const { run, rx } = await start([{ status: 503, headers: { 'retry-after': '2' } }, { status: 200 }]);
    const e = run.publish(txid(2));
    await turns(() => run.record('hook', e.id)?.attempts === 1, 'first attempt');
    const first = rx.requests[0]!.at;
    expect(Date.parse(run.record('hook', e.id)!.nextAttemptAt!) - first).toBe(2000);
    await vi.advanceTimersByTimeAsync(1999);
    await stillAt(1);
    await vi.advanceTimersByTimeAsync(1);
    await turns(() => run.record('hook', e.id)?.status === 'delivered', 'delivered');
    expect(rx.requests[1]!.at - first).toBeGreaterThanOrEqual(2000);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const { run, rx } = await start((n) =>
      n === 1
        ? { status: 429, headers: { 'retry-after': new Date(Date.now() + 90_000).toUTCString() } }
        : { status: 200 },
    );
    const e = run.publish(txid(3));
    await turns(() => run.record('hook', e.id)?.attempts === 1, 'first attempt');
    const wait = Date.parse(run.record('hook', e.id)!.nextAttemptAt!) - Date.now();
    expect(wait).toBeGreaterThan(89_000);
    expect(wait).toBeLessThanOrEqual(90_000);
    await vi.advanceTimersByTimeAsync(wait);
    await turns(() => run.record('hook', e.id)?.status === 'delivered', 'delivered');
    expect(rx.requests).toHaveLength(2);
  });
});
