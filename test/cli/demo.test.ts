import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { WhaleSignal } from '../../src/bus/events.js';
import { createDemoReceiver, MAX_BODY_BYTES, type DemoReceiver } from '../../src/cli/demo-receiver.js';
import { start, type Running } from '../helpers/cli.js';
import { newSecret, runWebhooks } from '../helpers/receiver.js';

const TXID = 'a1b2c3d4' + '0'.repeat(52) + '9f0e';

const SIGNAL: WhaleSignal = {
  txid: TXID,
  valueSats: 125_000_000_000,
  valueBtc: 1250,
  valueUsd: null,
  feeSats: 5000,
  vsize: 250,
  feeRate: 20,
  flow: { type: 'inflow', from: null, to: 'Binance' },
  status: 'pending',
  firstSeen: '2026-01-01T00:00:00.000Z',
  detectedAt: '2026-01-01T00:00:00.000Z',
  url: `https://mempool.space/tx/${TXID}`,
};

/** The lines a receiver printed, and a promise for the first one matching a pattern. */
function printed() {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  return {
    lines,
    print(line: string) {
      lines.push(line);
      for (const w of waiters) w();
    },
    line(pattern: RegExp): Promise<string> {
      return new Promise((resolve) => {
        const check = () => {
          const found = lines.find((l) => pattern.test(l));
          if (found === undefined) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(secret = newSecret()): Promise<{
  rx: DemoReceiver;
  out: ReturnType<typeof printed>;
  secret: string;
}> {
  const out = printed();
  const rx = await createDemoReceiver({ secret, print: out.print });
  cleanups.push(() => rx.close());
  return { rx, out, secret };
}

/** POST `body` with the three Standard Webhooks headers made by `standardwebhooks`' own `sign`. */
async function postSigned(
  url: string,
  secret: string,
  body: string,
  tamper: (body: string) => string = (b) => b,
): Promise<number> {
  const id = 'msg_test';
  const at = new Date();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    },
    body: tamper(body),
  });
  return response.status;
}

/** Send a raw request; resolves with the status, or the error code when the server cut it off. */
function send(
  url: string,
  headers: Record<string, string | number>,
  write: (req: ReturnType<typeof request>) => void,
): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    write(req);
  });
}

const envelope = (type: string, data: unknown) =>
  JSON.stringify({ id: 'evt_1', type, time: '2026-01-01T00:00:00.000Z', source: 'test', data });

describe('the demo webhook receiver', () => {
  it('prints each delivery the webhook output signs, in the alert wording', async () => {
    const { rx, out, secret } = await receiver();
    const r = await runWebhooks({ hook: { url: rx.url, secret } });
    cleanups.push(() => r.stop());

    const detected = r.kernel.bus.publish('whale.detected', SIGNAL, 'test');
    expect(await out.line(/whale\.detected/)).toBe(
      'webhook ✓ whale.detected 1,250 BTC  unknown wallet → Binance (inflow)  a1b2c3d4…9f0e',
    );
    r.publish(TXID);
    expect(await out.line(/whale\.dropped/)).toBe(
      'webhook ✓ whale.dropped a1b2c3d4…9f0e  dropped from the mempool (test)',
    );
    expect(r.record('hook', detected.id)?.lastStatus).toBe(204);
    expect(out.lines.filter((l) => l.startsWith('webhook ✗'))).toEqual([]);
  });

  it("verifies standardwebhooks' own signature; a tampered body, another secret or no signature is answered 400 and not printed as verified", async () => {
    const { rx, out, secret } = await receiver();
    const body = envelope('whale.confirmed', {
      txid: TXID,
      height: 870_123,
      blocksWaited: 1,
      minutesWaited: 7,
      predictedBlocks: 1,
    });
    expect(await postSigned(rx.url, secret, body)).toBe(204);
    expect(out.lines).toEqual([
      'webhook ✓ whale.confirmed a1b2c3d4…9f0e  confirmed in block 870,123 after 7 min (1 block)',
    ]);

    expect(await postSigned(rx.url, secret, body, (b) => b.replace('870123', '870124'))).toBe(400);
    expect(await postSigned(rx.url, newSecret(), body)).toBe(400);
    const unsigned = await fetch(rx.url, { method: 'POST', body });
    expect(unsigned.status).toBe(400);
    expect(out.lines.slice(1)).toEqual([
      'webhook ✗ signature check failed: No matching signature found (400, not printed as a delivery)',
      'webhook ✗ signature check failed: No matching signature found (400, not printed as a delivery)',
      'webhook ✗ signature check failed: Missing required headers (400, not printed as a delivery)',
    ]);
    expect(out.lines.filter((l) => l.startsWith('webhook ✓'))).toHaveLength(1);
  });

  it('survives huge, garbage and non-HTTP input, and still verifies the next delivery', async () => {
    const { rx, out, secret } = await receiver();
    const huge = Buffer.alloc(2 * MAX_BODY_BYTES, 'x');

    // Announced too large: refused before reading.
    const announced = await send(rx.url, { 'content-length': huge.length }, (req) => req.end(huge));
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(announced);
    // Streamed without a length: refused once past the limit.
    const streamed = await send(rx.url, { 'transfer-encoding': 'chunked' }, (req) => {
      for (let i = 0; i < 32; i++) req.write(huge.subarray(0, huge.length / 16));
      req.end();
    });
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(streamed);
    expect(out.lines.filter((l) => /over 1 MiB \(413\)/.test(l))).toHaveLength(2);

    // Signed, but not a Spout envelope, or an envelope whose data is not what its type says.
    expect(await postSigned(rx.url, secret, '\u0000not json{')).toBe(204);
    expect(await postSigned(rx.url, secret, envelope('whale.detected', { txid: 42 }))).toBe(204);
    expect(await postSigned(rx.url, secret, '')).toBe(204);
    expect(await fetch(rx.url).then((r) => r.status)).toBe(405);

    // Not HTTP at all: Node answers 400 and closes.
    const socket = connect(Number(new URL(rx.url).port), '127.0.0.1');
    socket.end('\x16\x03\x01 garbage \r\n\r\n');
    let reply = '';
    socket.setEncoding('utf8').on('data', (d: string) => (reply += d));
    await new Promise((resolve) => socket.on('close', resolve));
    expect(reply).toMatch(/^HTTP\/1\.1 400/);

    expect(await postSigned(rx.url, secret, envelope('whale.detected', SIGNAL))).toBe(204);
    expect(out.lines.filter((l) => l.startsWith('webhook ✓'))).toEqual([
      'webhook ✓ a signed body that is not a Spout event',
      'webhook ✓ whale.detected (data not as expected)',
      'webhook ✓ a signed body that is not a Spout event',
      'webhook ✓ whale.detected 1,250 BTC  unknown wallet → Binance (inflow)  a1b2c3d4…9f0e',
    ]);
  });
});

describe('spout demo (built CLI)', () => {
  let p: Running | undefined;
  afterEach(() => void p?.child.kill('SIGKILL'));

  it('prints verified webhook deliveries from its own receiver, refuses a forged one, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-demo-hook-'));
    p = start(['demo'], { cwd: dir });
    await p.waitFor(/^webhook ✓ whale\.detected [\d,.]+ BTC/m, 15_000);
    const url =
      /^Webhooks: verified deliveries are printed as they arrive \(receiver (http:\/\/127\.0\.0\.1:\d+\/)\)$/m.exec(
        p.stdout(),
      )?.[1];
    expect(url).toBeDefined();
    expect(p.stdout()).toMatch(/^Dashboard: http:\/\/127\.0\.0\.1:\d+\/#token=/m);

    expect(await postSigned(url!, newSecret(), envelope('whale.detected', SIGNAL))).toBe(400);
    await p.waitFor('webhook ✗ signature check failed: No matching signature found');

    p.child.kill('SIGTERM');
    const { code } = await p.exited;
    expect(code).toBe(0);
    expect(p.stderr()).toContain('stopped cleanly');
    expect(p.stdout()).not.toContain('a1b2c3d4…9f0e');
  });
});
