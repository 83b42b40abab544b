import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEAP_FLAGS } from '../src/kernel/heap.js';
import { startBenchRedis } from './engine.js';
import { freePort } from './free-port.js';
import { whale } from './whale.js';

// Issue 18: webhook deliveries per second with 1, 2 and 3 instances of one deployment (the built
// CLI, a local redis-server) against one local receiver. Deliveries are BullMQ jobs every instance
// competes for: throughput should grow with instances until something else is the bound — the
// receiver, Redis, or (on a small machine) the CPUs all of them share.

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface DeliveriesResult {
  deliveries: number;
  cpus: number;
  /** Per instance count: deliveries per second, first receipt to last. */
  runs: Array<{ instances: number; perSecond: number; received: number; ms: number; byInstance: number[] }>;
}

/** A receiver that answers 200 at once and counts distinct `webhook-id`s, and who sent each. */
async function startReceiver(expected: number) {
  const seen = new Set<string>();
  let first = 0;
  let last = 0;
  let allIn: () => void = () => {};
  const done = new Promise<void>((r) => (allIn = r));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200).end();
      const id = String(req.headers['webhook-id']);
      if (seen.has(id)) return;
      if (seen.size === 0) first = performance.now();
      seen.add(id);
      last = performance.now();
      if (seen.size === expected) allIn();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    done,
    rate: () => (seen.size - 1) / ((last - first) / 1000),
    received: () => seen.size,
    close: () => new Promise((r) => server.close(r)),
  };
}

export async function benchEngineDeliveries(deliveries = 3000): Promise<DeliveriesResult> {
  const redis = await startBenchRedis();
  const dir = await mkdtemp(join(tmpdir(), 'spout-bench-deliveries-'));
  const children = new Set<ChildProcess>();
  const feed = join(dir, 'feed.jsonl');
  await writeFile(
    feed,
    Array.from({ length: deliveries }, (_, i) =>
      JSON.stringify({ type: 'whale.detected', data: whale(i) }),
    ).join('\n') + '\n',
  );
  const runs: DeliveriesResult['runs'] = [];
  try {
    for (const n of [1, 2, 3]) {
      const rx = await startReceiver(deliveries);
      const path = join(dir, `deliveries-${n}.yaml`);
      await writeFile(
        path,
        [
          'log: { level: info, format: json }',
          'http: { listen: "127.0.0.1:${PORT}" }',
          `engine: { use: redis, url: "${redis.url}", deployment: deliveries-${n}, leaseTime: 10s }`,
          'inputs:',
          // The followers start while the leader waits: all compete from the first delivery.
          `  feed: { use: replay, file: ${feed}, delayMs: 4000 }`,
          'outputs:',
          `  hook: { use: webhook, url: "${rx.url}", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", concurrency: 16 }`,
        ].join('\n') + '\n',
      );
      const started: Array<{ child: ChildProcess; port: number }> = [];
      for (let i = 0; i < n; i++) {
        const port = await freePort();
        const child = spawn(process.execPath, [...HEAP_FLAGS, MAIN, 'run', '-c', path], {
          env: { ...process.env, PORT: String(port) },
          stdio: ['ignore', 'ignore', 'ignore'],
        });
        children.add(child);
        started.push({ child, port });
      }
      const t0 = performance.now();
      await Promise.race([rx.done, new Promise((r) => setTimeout(r, 120_000))]);
      runs.push({
        instances: n,
        perSecond: rx.rate(),
        received: rx.received(),
        ms: performance.now() - t0,
        byInstance: await Promise.all(started.map((s) => deliveredBy(s.port))),
      });
      for (const s of started) {
        const exited = once(s.child, 'exit');
        s.child.kill('SIGTERM');
        await exited;
        children.delete(s.child);
      }
      await rx.close();
    }
    return { deliveries, cpus: (await import('node:os')).availableParallelism(), runs };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** How many deliveries an instance made, from its /metrics (`spout_webhook_deliveries_total`). */
async function deliveredBy(port: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('spout_webhook_deliveries_total') && l.includes('outcome="delivered"'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  } catch {
    return NaN;
  }
}
