/** The bitcoind input's USD price source: fixed, or an HTTP JSON URL on loopback. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createPrice, readPath } from '../../../../plugins/inputs/bitcoind/price.js';

describe('bitcoind input: the USD price source', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  const waiting: Array<() => void> = [];
  let served = 0;
  const answered = () => served;
  const requests = async (n: number) => {
    while (served < n) await new Promise<void>((r) => waiting.push(r));
  };

  /** A JSON server answering the queued bodies in turn (a number: that HTTP status), one request each. */
  async function serve(answers: unknown[]) {
    served = 0;
    server = createServer((_req, res) => {
      const a = answers.shift();
      served++;
      if (typeof a === 'number') res.writeHead(a).end('down');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(a));
      waiting.splice(0).forEach((w) => w());
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/price`;
  }

  const log = pino({ level: 'silent' });

  it('reads dotted paths and numeric strings; refuses what is not a positive price', () => {
    expect(readPath({ bitcoin: { usd: 97_000.5 } }, 'bitcoin.usd')).toBe(97_000.5);
    expect(readPath({ data: { amount: '43210.12' } }, 'data.amount')).toBe(43_210.12);
    expect(readPath({ result: [{ price: 5 }] }, 'result.0.price')).toBe(5);
    expect(readPath({ a: { b: -1 } }, 'a.b')).toBeUndefined();
    expect(readPath({ a: 'x' }, 'a')).toBeUndefined();
    expect(readPath({ a: null }, 'a.b')).toBeUndefined();
    expect(readPath([], 'a')).toBeUndefined();
  });

  it('a fixed price, and none at all', () => {
    expect(createPrice({ fixed: 64_000 }, log).current()).toBe(64_000);
    expect(createPrice(null, log).current()).toBeNull();
  });

  it('polls the URL; a failure keeps the last price until it is stale, then null until a poll succeeds', async () => {
    let t = 1_000_000;
    const url = await serve([
      { bitcoin: { usd: 90_000 } },
      503,
      { nothing: 1 },
      { bitcoin: { usd: '91000' } },
    ]);
    const price = createPrice(
      { url, path: 'bitcoin.usd', everyMs: 60_000, staleAfterMs: 60_000, timeoutMs: 2_000 },
      log,
      () => t,
    );
    expect(price.current()).toBeNull();
    await price.poll();
    expect(price.current()).toBe(90_000);
    await price.poll(); // 503
    await price.poll(); // no number at the path
    expect(price.current()).toBe(90_000);
    t += 60_001;
    expect(price.current()).toBeNull();
    await price.poll();
    expect(price.current()).toBe(91_000);
  });

  it('start polls at once and then every interval; stop ends it', async () => {
    const url = await serve([{ p: 1 }, { p: 2 }, { p: 3 }]);
    const price = createPrice({ url, path: 'p', everyMs: 1, staleAfterMs: 60_000, timeoutMs: 2_000 }, log);
    price.start();
    await requests(3);
    price.stop();
    expect(answered()).toBe(3);
  });
});
