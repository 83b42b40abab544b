import { BUILTIN_PLUGINS } from '../plugins/index.js';
import { whale } from './whale.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import got from 'got';
import { createEnvelope } from '../src/bus/envelope.js';
import { parseConfig } from '../src/config/load.js';
import { createKernel } from '../src/kernel/kernel.js';
import { createLogger } from '../src/log/logger.js';
import { openLowdbStore } from '../src/store/lowdb.js';
import { createMemoryStore } from '../src/store/memory.js';
import type { Store } from '../src/store/port.js';
import { COLLECTIONS } from '../src/store/records.js';
import type { OutboxRecord } from '../src/delivery/outbox/record.js';

export interface WebhookRow {
  concurrency: number;
  /** Deliveries per second (median of the rounds) through the webhook output, file store. */
  durablePerSecond: number;
  /** The same with the in-memory store: signing and the worker, no disk. */
  memoryPerSecond: number;
  /** Plain `got` POSTs of the same bodies, same concurrency: the baseline. */
  baselinePerSecond: number;
  /** durable / baseline. */
  ratio: number;
}

export interface WebhookResult {
  events: number;
  /** Bytes of one request body (a whale.detected envelope). */
  bodyBytes: number;
  rows: WebhookRow[];
  /** File store already holding this many delivered records, at the highest concurrency. */
  prefilled?: { records: number; durablePerSecond: number };
}

const SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');

/** node:http on 127.0.0.1 answering 200 at once (the body is read, not checked). */
async function startReceiver() {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.writeHead(200, { 'content-length': '0' }).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    count: () => count,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** The baseline: each body POSTed with got (options as the plugin's, no retries), `concurrency` at a time. */
async function baseline(rx: Receiver, bodies: string[], concurrency: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] as string;
      const r = await got.post(rx.url, {
        body,
        headers: { 'content-type': 'application/json' },
        timeout: { request: 15_000 },
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: false,
      });
      if (r.statusCode !== 200) throw new Error(`baseline got HTTP ${r.statusCode}`);
    }
  };
  const t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Number(process.hrtime.bigint() - t);
}

/**
 * Through the real output: a kernel with one `webhook` instance; every event is published on
 * the bus at once, and the clock stops when the last outbox record is `delivered` (written to
 * the store, as the worker does after each attempt).
 */
async function throughSpout(
  rx: Receiver,
  events: number,
  concurrency: number,
  store: Store,
): Promise<number> {
  const yaml = [
    'http: { enabled: false }',
    'log: { level: silent, format: json }',
    'inputs:',
    '  idle: { use: replay }',
    'outputs:',
    '  hook:',
    '    use: webhook',
    `    url: ${rx.url}`,
    `    secret: ${SECRET}`,
    `    concurrency: ${concurrency}`,
    '    events: [whale.detected]',
  ].join('\n');
  const config = await parseConfig(yaml, 'bench.yaml', process.cwd(), {}, BUILTIN_PLUGINS);
  const kernel = createKernel({ config, log: createLogger({ level: 'silent', format: 'json' }).log, store });
  await kernel.start();
  const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
  // Txids not used by an earlier run on the same store.
  const first = [...outbox.entries()].length;
  const data = Array.from({ length: events }, (_, i) => whale(first + i));
  const requests = rx.count();
  const t = process.hrtime.bigint();
  const remaining = new Set(data.map((d) => `hook/${kernel.bus.publish('whale.detected', d, 'idle').id}`));
  // Every request answered, then every record delivered, and that written.
  while (rx.count() < requests + events) await new Promise((r) => setTimeout(r, 2));
  while (remaining.size > 0) {
    for (const id of remaining) if (outbox.get(id)?.status === 'delivered') remaining.delete(id);
    if (remaining.size > 0) await new Promise((r) => setTimeout(r, 1));
  }
  await store.flush();
  const ns = Number(process.hrtime.bigint() - t);
  await kernel.stop();
  return ns;
}

/** A file store in a fresh folder (optionally holding `records` delivered records already). */
async function fileStore(records = 0): Promise<{ store: Store; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'spout-bench-webhook-'));
  const store = await openLowdbStore({ path: join(dir, 'spout.json') });
  const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
  for (let i = 0; i < records; i++) {
    const id = `old/evt_${i.toString(16).padStart(32, '0')}`;
    outbox.put(id, {
      id,
      instance: 'old',
      channel: 'webhook',
      eventId: id.slice(4),
      eventType: 'whale.detected',
      body: JSON.stringify(createEnvelope('whale.detected', whale(-1 - i), 'whales')),
      status: 'delivered',
      attempts: 1,
      createdAt: '2026-11-21T10:00:00.000Z',
      updatedAt: '2026-11-21T10:00:00.500Z',
      nextAttemptAt: null,
      deliveredAt: '2026-11-21T10:00:00.500Z',
      lastStatus: 200,
    });
  }
  await store.flush();
  return { store, done: () => rm(dir, { recursive: true, force: true }) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Deliveries per second to a local receiver through the webhook output (signing, outbox
 * records flushed before the first attempt and after each one) with the file store and with the
 * in-memory store, against plain got POSTs of the same bodies at the same concurrency, measured
 * in the same run. Runs alternate, medians are compared. With `prefilled`, one more run at the
 * highest concurrency on a file store already holding that many delivered records.
 */
export async function benchWebhook(
  options: { events?: number; concurrency?: number[]; rounds?: number; prefilled?: number } = {},
): Promise<WebhookResult> {
  const { events = 2_000, concurrency = [4, 16], rounds = 3, prefilled } = options;
  const rx = await startReceiver();
  try {
    const bodies = Array.from({ length: events }, (_, i) =>
      JSON.stringify(createEnvelope('whale.detected', whale(i), 'whales')),
    );
    // Warm-up: connections, JIT, the plugin's import.
    await baseline(rx, bodies.slice(0, 200), 4);
    await throughSpout(rx, 200, 4, createMemoryStore());

    const rows: WebhookRow[] = [];
    for (const c of concurrency) {
      const b: number[] = [];
      const m: number[] = [];
      const d: number[] = [];
      for (let round = 0; round < rounds; round++) {
        b.push(await baseline(rx, bodies, c));
        m.push(await throughSpout(rx, events, c, createMemoryStore()));
        const f = await fileStore();
        d.push(await throughSpout(rx, events, c, f.store));
        await f.done();
      }
      const perSecond = (ns: number) => events / (ns / 1e9);
      rows.push({
        concurrency: c,
        durablePerSecond: perSecond(median(d)),
        memoryPerSecond: perSecond(median(m)),
        baselinePerSecond: perSecond(median(b)),
        ratio: median(b) / median(d),
      });
    }

    let prefilledResult: WebhookResult['prefilled'];
    if (prefilled) {
      const c = Math.max(...concurrency);
      const f = await fileStore(prefilled);
      const ns = await throughSpout(rx, events, c, f.store);
      await f.done();
      prefilledResult = { records: prefilled, durablePerSecond: events / (ns / 1e9) };
    }
    return {
      events,
      bodyBytes: Buffer.byteLength(bodies[0] as string),
      rows,
      ...(prefilledResult ? { prefilled: prefilledResult } : {}),
    };
  } finally {
    await rx.close();
  }
}
