import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import webhook from '../../plugins/outputs/webhook/index.js';
import type { Envelope } from '../../src/bus/envelope.js';
import { createKernel, type Kernel } from '../../src/kernel/kernel.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/port.js';
import { COLLECTIONS } from '../../src/store/records.js';
import type { DeliveryAttempt, OutboxRecord } from '../../src/delivery/outbox/record.js';
import { captureLog, config, instance } from './kernel.js';

/** One request the receiver got, and what `standardwebhooks` said about it. */
export interface Received {
  /** 1-based, in arrival order. */
  n: number;
  /** `Date.now()` at arrival (fake clock aware) and the real monotonic time. */
  at: number;
  realMs: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as verified. */
  body: string;
  verified: boolean;
  /** The verification error, when it failed. */
  error?: string;
  /** What was answered (undefined while hanging). */
  status?: number;
}

/** How to answer one request: a status with headers, or never (`hang`). */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  hang?: boolean;
}

/** Answers request `n` (1-based); a list is used in order, its last entry repeated. */
export type Script = Reply[] | ((request: Received) => Reply | Promise<Reply>);

export interface Receiver {
  url: string;
  requests: Received[];
  /** Replace the script (request numbering goes on). */
  script(next: Script): void;
  /** The three Standard Webhooks headers of a request, for re-verifying it by hand. */
  signed(r: Received): Record<string, string>;
  close(): Promise<void>;
}

/**
 * A real webhook receiver on 127.0.0.1 (a free port). Every request is verified with the
 * `standardwebhooks` package, `new Webhook(secret).verify(rawBody, headers)`, against each of
 * `secrets` (it verifies when any one does); an unverified request is answered 401, the others
 * as scripted (default 200).
 */
export async function startReceiver(secrets: string | string[], script: Script = []): Promise<Receiver> {
  const keys = (Array.isArray(secrets) ? secrets : [secrets]).map((s) => new Webhook(s));
  let current = script;
  const requests: Received[] = [];
  const hanging = new Set<ServerResponse>();

  const signed = (r: Received): Record<string, string> => ({
    'webhook-id': String(r.headers['webhook-id'] ?? ''),
    'webhook-timestamp': String(r.headers['webhook-timestamp'] ?? ''),
    'webhook-signature': String(r.headers['webhook-signature'] ?? ''),
  });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const r: Received = {
        n: requests.length + 1,
        at: Date.now(),
        realMs: performance.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        verified: false,
      };
      const errors: string[] = [];
      for (const key of keys) {
        try {
          key.verify(r.body, signed(r));
          r.verified = true;
          break;
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
      if (!r.verified) r.error = errors.join('; ');
      requests.push(r);
      const reply: Reply = !r.verified
        ? { status: 401 }
        : typeof current === 'function'
          ? await current(r)
          : (current[Math.min(r.n - 1, current.length - 1)] ?? {});
      if (reply.hang) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      r.status = reply.status ?? 200;
      res.writeHead(r.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    script: (next) => void (current = next),
    signed,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fresh Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function newSecret(): string {
  return 'whsec_' + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
}

/**
 * Let real I/O run: resolve once `cond` holds, checking after every macrotask. The deadline is
 * on the real monotonic clock, so it works under fake timers (`Date` faked) too.
 */
export async function turns(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`never: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** The webhook options with every default filled in (instance() bypasses validation). */
export function hookOptions(options: Record<string, unknown>): Record<string, unknown> {
  return {
    retry: ['5s', '5m', '30m', '2h', '5h', '10h', '10h'],
    timeout: '15s',
    concurrency: 4,
    headers: {},
    ...options,
  };
}

/**
 * A kernel running webhook instances (the plugin definition given directly, without a YAML
 * file), with helpers to publish whale events and read the outbox.
 */
export async function runWebhooks(
  hooks: Record<string, Record<string, unknown>>,
  store: Store = createMemoryStore(),
): Promise<{
  kernel: Kernel;
  store: Store;
  log: ReturnType<typeof captureLog>;
  /** Publish a `whale.dropped` for `txid` (routed by the default `whale.*`). */
  publish(txid: string): Envelope<'whale.dropped'>;
  record(name: string, eventId: string): OutboxRecord | undefined;
  attempts(name: string, eventId: string): DeliveryAttempt[];
  stop(): Promise<unknown[]>;
}> {
  const log = captureLog();
  const kernel = createKernel({
    config: config(
      Object.entries(hooks).map(([name, options]) =>
        instance(name, webhook, { options: hookOptions(options) }),
      ),
    ),
    log: log.log,
    store,
  });
  await kernel.start();
  return {
    kernel,
    store,
    log,
    publish: (txid) => kernel.bus.publish('whale.dropped', { txid, reason: 'test' }, 'test'),
    ...outboxReader(store),
    stop: () => kernel.stop(),
  };
}

/** Read an output instance's outbox record of an event, and its attempts in order. */
export function outboxReader(store: Store): {
  record(instance: string, eventId: string): OutboxRecord | undefined;
  attempts(instance: string, eventId: string): DeliveryAttempt[];
} {
  const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
  const deliveries = store.collection<DeliveryAttempt>(COLLECTIONS.deliveries);
  return {
    record: (instance, eventId) => outbox.get(`${instance}/${eventId}`),
    attempts: (instance, eventId) =>
      [...deliveries.entries()]
        .map(([, d]) => d)
        .filter((d) => d.outboxId === `${instance}/${eventId}`)
        .sort((a, b) => a.attempt - b.attempt),
  };
}
