import { BUILTIN_PLUGINS } from '../plugins/index.js';
import { parseConfig } from '../src/config/load.js';
import { createKernel } from '../src/kernel/kernel.js';
import { createLogger } from '../src/log/logger.js';
import { createMemoryStore } from '../src/store/memory.js';
import { handleFrame, type FrameSink } from '../plugins/inputs/mempool/frames.js';
import { createLru } from '../src/plugin/lru.js';
import { buildFrames } from './ingest.js';

export interface DetectResult {
  transactions: number;
  whales: number;
  withoutPerSecond: number;
  withPerSecond: number;
  /** Extra cost per transaction of the detector chain, as a share of ingest alone. */
  overhead: number;
  /** The same chain with `flow` on the built-in labels (and the whale's change rules, always on). */
  withFlowPerSecond: number;
  /** Extra cost per transaction of adding `flow`, as a share of the chain without it. */
  flowCost: number;
  p50Ms: number;
  p99Ms: number;
}

const BASE =
  'http: { enabled: false }\nlog: { level: silent, format: json }\ninputs:\n  idle: { use: replay }\n';
const CHAIN =
  'detectors:\n  whales: { use: whale, thresholdBtc: 100 }\n  urgency: { use: urgency }\n  rbf: { use: rbf }\n';
const FLOW = '  flow: { use: flow, labels: builtin, watch: false }\n';

async function run(yaml: string, frames: string[], rounds: number, latencies?: number[]) {
  const config = await parseConfig(yaml, 'bench.yaml', process.cwd(), {}, BUILTIN_PLUGINS);
  const kernel = createKernel({
    config,
    log: createLogger({ level: 'silent', format: 'json' }).log,
    store: createMemoryStore(),
  });
  await kernel.start();
  const seenAt = new Map<string, number>();
  let whales = 0;
  kernel.bus.tap((e) => {
    if (!latencies) return;
    if (e.type === 'tx.seen') seenAt.set(e.data.txid, performance.now());
    else if (e.type === 'whale.detected') {
      whales++;
      latencies.push(performance.now() - (seenAt.get(e.data.txid) ?? Number.NaN));
    }
  });
  const sink: FrameSink = {
    emit: (type, data) => void kernel.bus.publish(type, data, 'idle'),
    reject: () => {},
    now: Date.now,
    seen: createLru<string, boolean>(10_000),
    stats: { projectedBlocks: null, fees: null, mempoolVsize: null, usdPrice: null },
    onProjectedBlock: () => {},
    onRecentBlocks: () => {},
  };
  const t = process.hrtime.bigint();
  // One frame at a time, as they arrive from the server (about one per second, live).
  for (let r = 0; r < rounds; r++) {
    for (const f of frames) {
      handleFrame(f, 64 * 2 ** 20, sink);
      await kernel.bus.drain();
    }
  }
  const ns = Number(process.hrtime.bigint() - t);
  await kernel.stop();
  seenAt.clear();
  return { ns, whales };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

/**
 * The detector chain's cost: the same frames through the kernel's bus without detectors, with
 * whale + urgency + rbf, and with flow on the built-in labels added, in the same run; p50/p99 of
 * tx.seen → whale.detected.
 */
export async function benchDetect(total = 200_000, distinct = 25_000): Promise<DetectResult> {
  const { frames } = buildFrames(50, distinct);
  const rounds = Math.ceil(total / distinct);
  await run(BASE, frames.slice(0, 50), 1); // warm-up
  // Alternating runs, medians compared: warm-up and GC debt weigh on both alike.
  const withoutNs: number[] = [];
  const withNs: number[] = [];
  const flowNs: number[] = [];
  const latencies: number[] = [];
  let whales = 0;
  for (let i = 0; i < 3; i++) {
    withoutNs.push((await run(BASE, frames, rounds)).ns);
    const r = await run(BASE + CHAIN, frames, rounds, latencies);
    withNs.push(r.ns);
    whales += r.whales;
    flowNs.push((await run(BASE + CHAIN + FLOW, frames, rounds)).ns);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
  const n = rounds * distinct;
  latencies.sort((a, b) => a - b);
  return {
    transactions: n * 3,
    whales,
    withoutPerSecond: n / (median(withoutNs) / 1e9),
    withPerSecond: n / (median(withNs) / 1e9),
    overhead: median(withNs) / median(withoutNs) - 1,
    withFlowPerSecond: n / (median(flowNs) / 1e9),
    flowCost: median(flowNs) / median(withNs) - 1,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}
