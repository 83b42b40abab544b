import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createFeed } from './feed.js';
import { observe, type Observed } from './inspect.js';
import { defaultPipelineConfig, MAIN, ROOT } from './default-pipeline.js';

/** One process's figures over the black-box run. */
export interface PipelineRun {
  /** RSS (MiB) when 100k, 500k and 1M transactions had been sent (and taken: see `pace`). */
  rssMiB: Record<string, number>;
  /** Live heap after a full GC (MiB) at each 100k from half-way to the end. */
  liveHeapMiB: number[];
  /** Growth of the live heap per 100k transactions over the second half (least squares). */
  heapGrowthMiBPer100k: number;
  /** Transactions per CPU-second of the process (user + system), from connection to the marker. */
  txPerCpuSecond: number;
  /** Wall time from the first frame to the marker answered, seconds. */
  seconds: number;
}

export interface PipelineResult {
  transactions: number;
  source: string;
  spout: PipelineRun;
  bare: PipelineRun;
  /** spout / bare transactions per CPU-second. */
  cpuRatio: number;
}

const MARKER = 'f'.repeat(64);
const MARKS = new Set([100_000, 500_000, 1_000_000]);

// The bare client: what any consumer of the feed must do at least (connect, JSON.parse).
const BARE = `const WebSocket = require('ws');
new WebSocket(process.argv[1]).on('message', (m) => {
  const f = JSON.parse(m);
  const added = f['mempool-transactions'] && f['mempool-transactions'].added;
  if (added && added.length === 1 && added[0].txid === '${MARKER}') console.log('${MARKER}');
});`;

/** Send frames as fast as `rate` allows, but never more than the client has taken (send buffer). */
async function stream(
  socket: WebSocket,
  total: number,
  rate: number,
  atMark: (sent: number) => Promise<void>,
): Promise<number> {
  const feed = createFeed(500, 50_000);
  socket.send(feed.hello());
  const started = performance.now();
  let nextMark = 100_000;
  while (feed.sent() < total) {
    const due = ((performance.now() - started) / 1000) * rate;
    if (feed.sent() >= due || socket.bufferedAmount > 8 * 2 ** 20) {
      await new Promise((r) => setTimeout(r, 5)); // pacing the sender: nothing to await
      continue;
    }
    for (const f of feed.next()) socket.send(f);
    if (feed.sent() >= nextMark) {
      // The mark is reached once the client has taken everything sent so far.
      while (socket.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 5));
      await atMark(nextMark);
      nextMark += 100_000;
    }
  }
  socket.send(feed.marker(MARKER));
  return started;
}

async function runOne(
  server: WebSocketServer,
  args: string[],
  total: number,
  rate: number,
): Promise<PipelineRun> {
  const p: Observed = await observe(args, ROOT);
  try {
    const markerSeen = new Promise<void>((resolve) => p.onLine((l) => l.includes(MARKER) && resolve()));
    const [socket] = (await once(server, 'connection')) as [WebSocket];
    const cpu0 = await p.cpuSeconds();
    const rssMiB: Record<string, number> = {};
    const heap: Array<[number, number]> = [];
    const started = await stream(socket, total, rate, async (sent) => {
      if (MARKS.has(sent)) rssMiB[`${sent / 1000}k`] = await p.rssMiB();
      if (sent >= total / 2) heap.push([sent, await p.liveHeapMiB()]);
    });
    await markerSeen;
    const seconds = (performance.now() - started) / 1000;
    const cpu = (await p.cpuSeconds()) - cpu0;
    // Least-squares slope of live heap against transactions, per 100k.
    const mx = heap.reduce((s, [x]) => s + x, 0) / heap.length;
    const my = heap.reduce((s, [, y]) => s + y, 0) / heap.length;
    const slope =
      heap.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / heap.reduce((s, [x]) => s + (x - mx) ** 2, 0);
    return {
      rssMiB,
      liveHeapMiB: heap.map(([, y]) => y),
      heapGrowthMiBPer100k: slope * 100_000,
      txPerCpuSecond: total / cpu,
      seconds,
    };
  } finally {
    await p.stop();
  }
}

/**
 * Issue 17, benchmark (a): the built CLI (`spout run`: mempool input, whale + urgency + rbf,
 * console, correlation) fed `total` real-shaped transactions with replacements, removals and
 * blocks by a local server at up to `rate` tx/s (slower when the client does not keep up), then
 * a bare `ws` client that only `JSON.parse`s the same feed. Each observed from outside.
 * `nodeFlags` go to Spout's `node` (heap-sizing experiments).
 */
export async function benchPipeline(
  total = 1_000_000,
  rate = 20_000,
  nodeFlags: readonly string[] = [],
): Promise<PipelineResult> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const { config, remove } = await defaultPipelineConfig(`{ use: mempool, url: "${url}" }`);
  try {
    const spout = await runOne(server, [...nodeFlags, MAIN, 'run', '--config', config], total, rate);
    const bare = await runOne(server, ['-e', BARE, url], total, rate);
    return {
      transactions: total,
      source: createFeed(1, 1).source,
      spout,
      bare,
      cpuRatio: spout.txPerCpuSecond / bare.txPerCpuSecond,
    };
  } finally {
    server.close();
    await remove();
  }
}
