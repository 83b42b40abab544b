import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createFeed } from './feed.js';
import { HEAP_ENV, HEAP_FLAGS } from '../src/kernel/heap.js';
import { observe, type Observed } from './inspect.js';
import { defaultPipelineConfig, MAIN, ROOT } from './default-pipeline.js';

/** One process's figures over the black-box run. */
export interface PipelineRun {
  /** RSS (MiB) when 100k, 500k and 1M transactions had been sent (and taken: see `pace`). */
  rssMiB: Record<string, number>;
  /** Live heap after a full GC (MiB) at each 100k from half-way to the end; empty in a run without heap probes. */
  liveHeapMiB: number[];
  /** Growth of the live heap per 100k transactions over the second half (least squares); NaN without heap probes. */
  heapGrowthMiBPer100k: number;
  /** Transactions per CPU-second of the process (user + system), from connection to the marker. */
  txPerCpuSecond: number;
  /** Wall time from the first frame to the marker answered, seconds. */
  seconds: number;
}

/** One paired run: both processes on one feed. */
export interface PipelinePair {
  spout: PipelineRun;
  bare: PipelineRun;
  /** spout / bare transactions per CPU-second. */
  cpuRatio: number;
}

export interface PipelineResult {
  transactions: number;
  source: string;
  /** Every paired run without heap probes (CPU and RSS), in the order run. */
  pairs: PipelinePair[];
  /** The pair whose ratio is the median (the lower middle one for an even count): the ratio reported. */
  median: PipelinePair;
  /**
   * The pair run with the live heap probed (a full collection in each process at every 100k of
   * the second half): its live heap and growth. Its CPU and RSS are the probes' as much as the
   * pipeline's, and are not judged.
   */
  heap: PipelinePair;
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

/**
 * Send each frame to every socket as fast as `rate` allows, but never more than the slowest
 * client has taken (send buffers); `atMark` once every client has taken each 100k.
 */
async function stream(
  sockets: WebSocket[],
  total: number,
  rate: number,
  atMark: (sent: number) => Promise<void>,
): Promise<number> {
  const feed = createFeed(500, 25_000);
  const send = (frame: string) => sockets.forEach((s) => s.send(frame));
  const buffered = () => Math.max(...sockets.map((s) => s.bufferedAmount));
  const tick = () => new Promise((r) => setTimeout(r, 5)); // pacing the sender: nothing to await
  send(feed.hello());
  const started = performance.now();
  let nextMark = 100_000;
  while (feed.sent() < total) {
    const due = ((performance.now() - started) / 1000) * rate;
    if (feed.sent() >= due || buffered() > 8 * 2 ** 20) {
      await tick();
      continue;
    }
    for (const f of feed.next()) send(f);
    if (feed.sent() >= nextMark) {
      while (buffered() > 0) await tick();
      await atMark(nextMark);
      nextMark += 100_000;
    }
  }
  send(feed.marker(MARKER));
  return started;
}

/** Least-squares slope of y against x. */
function slope(points: Array<[number, number]>): number {
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length;
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length;
  return (
    points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  );
}

/**
 * Run the processes side by side on one feed (each frame sent to all at once), so that both
 * meet the same pacing and the same machine: their CPU figures compare without run-to-run noise.
 */
async function runTogether(
  server: WebSocketServer,
  processes: Array<{ args: string[]; env?: Readonly<Record<string, string>> }>,
  total: number,
  rate: number,
  probeHeap: boolean,
): Promise<PipelineRun[]> {
  const procs: Observed[] = [];
  try {
    const sockets: WebSocket[] = [];
    for (const { args, env } of processes) {
      const p = await observe(args, ROOT, env);
      procs.push(p);
      sockets.push(((await once(server, 'connection')) as [WebSocket])[0]);
    }
    const markers = procs.map(
      (p) => new Promise<void>((resolve) => p.onLine((l) => l.includes(MARKER) && resolve())),
    );
    const cpu0 = await Promise.all(procs.map((p) => p.cpuSeconds()));
    const rss = procs.map((): Record<string, number> => ({}));
    const heap = procs.map((): Array<[number, number]> => []);
    const started = await stream(sockets, total, rate, async (sent) => {
      for (const [i, p] of procs.entries()) {
        if (MARKS.has(sent)) (rss[i] as Record<string, number>)[`${sent / 1000}k`] = await p.rssMiB();
        if (probeHeap && sent >= total / 2) heap[i]?.push([sent, await p.liveHeapMiB()]);
      }
    });
    const done = await Promise.all(
      markers.map(async (m, i) => {
        await m;
        return {
          seconds: (performance.now() - started) / 1000,
          cpu: (await procs[i]!.cpuSeconds()) - cpu0[i]!,
        };
      }),
    );
    return procs.map((_, i) => ({
      rssMiB: rss[i] as Record<string, number>,
      liveHeapMiB: (heap[i] ?? []).map(([, y]) => y),
      heapGrowthMiBPer100k: probeHeap ? slope(heap[i] ?? []) * 100_000 : NaN,
      txPerCpuSecond: total / done[i]!.cpu,
      seconds: done[i]!.seconds,
    }));
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

/**
 * Issue 17, benchmark (a): the built CLI (`spout run`: mempool input, whale + urgency + rbf,
 * console, correlation) fed `total` real-shaped transactions with replacements, removals and
 * blocks by a local server at up to `rate` tx/s (slower when a client does not keep up), beside a
 * bare `ws` client that only `JSON.parse`s the same feed (the same frames at the same moments).
 * Each observed from outside.
 * The pair is run `repeats` times, each on a fresh feed, server and processes, and the ratio
 * reported is the median pair's: on a machine of two cores shared with the feed's server, the
 * bare client's own CPU per transaction varied by a third between consecutive runs (its system
 * time, 1.1–2.7 s for the same 300k transactions), which one pair alone passes on as noise.
 * Those pairs give CPU and RSS; one more pair, run after them, probes the live heap. The probe
 * is the inspector's `HeapProfiler.collectGarbage`, a memory-reducing full collection made while
 * the process waits between frames: it gives back heap (one took Spout's committed heap from 72
 * to 30 MB, traced with `--trace-gc`), so the RSS read after it is lower; and each one
 * deoptimised 14–18 of Spout's hot functions ("weak objects", traced with `--trace-deopt`),
 * compiled again afterwards at the process's expense (the collections V8 started itself during
 * the run deoptimised none). So no pair is judged on both.
 * `nodeFlags` and `env` go to Spout's `node`: by default those its launchers pass (`HEAP_FLAGS`,
 * `HEAP_ENV`); the bare client runs as plain `node` would.
 */
export async function benchPipeline(
  total = 1_000_000,
  rate = 20_000,
  nodeFlags: readonly string[] = HEAP_FLAGS,
  env: Readonly<Record<string, string>> = HEAP_ENV,
  repeats = 3,
): Promise<PipelineResult> {
  const pairs: PipelinePair[] = [];
  for (let i = 0; i < repeats; i++) pairs.push(await benchPair(total, rate, nodeFlags, env, false));
  const heap = await benchPair(total, rate, nodeFlags, env, true);
  const median = [...pairs].sort((a, b) => a.cpuRatio - b.cpuRatio)[Math.floor((pairs.length - 1) / 2)]!;
  return { transactions: total, source: createFeed(1, 1).source, pairs, median, heap };
}

/** One paired run of {@link benchPipeline} on its own server and feed. */
async function benchPair(
  total: number,
  rate: number,
  nodeFlags: readonly string[],
  env: Readonly<Record<string, string>>,
  probeHeap: boolean,
): Promise<PipelinePair> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const { config, remove } = await defaultPipelineConfig(`{ use: mempool, url: "${url}" }`);
  try {
    const [spout, bare] = (await runTogether(
      server,
      [{ args: [...nodeFlags, MAIN, 'run', '--config', config], env }, { args: ['-e', BARE, url] }],
      total,
      rate,
      probeHeap,
    )) as [PipelineRun, PipelineRun];
    return { spout, bare, cpuRatio: spout.txPerCpuSecond / bare.txPerCpuSecond };
  } finally {
    server.close();
    await remove();
  }
}
