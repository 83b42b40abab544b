import { benchPipeline, type PipelinePair } from './pipeline.js';
import { benchLatency } from './latency.js';
import { fmt, verdict } from './format.js';

/** Issue 17, benchmark (a): the whole pipeline black-box against a bare JSON.parse client. */
export async function printPipeline(): Promise<void> {
  const r = await benchPipeline();
  console.log(
    `pipeline: ${fmt(r.transactions)} transactions (${r.source}) with replacements, removals and blocks, through the built CLI (mempool input, whale + urgency + rbf, console, correlation), observed from outside; ${r.pairs.length} paired runs for CPU and RSS, the median one shown, and one more probing the live heap`,
  );
  console.log('                       100k      500k      1M      (RSS, MiB)');
  const row = (name: string, x: typeof r.median.spout, heap: typeof x) =>
    console.log(
      `  ${name.padEnd(20)} ${['100k', '500k', '1000k'].map((k) => (x.rssMiB[k] ?? NaN).toFixed(0).padStart(6)).join('    ')}    ${fmt(x.txPerCpuSecond)} tx per CPU-second; ${x.seconds.toFixed(0)} s; probed run: live heap after GC ${heap.liveHeapMiB[0]?.toFixed(1)} → ${heap.liveHeapMiB.at(-1)?.toFixed(1)} MiB over the second half (${heap.heapGrowthMiBPer100k.toFixed(2)} MiB per 100k)`,
    );
  row('spout run', r.median.spout, r.heap.spout);
  row('bare client', r.median.bare, r.heap.bare);
  const each = (f: (p: PipelinePair) => string) => r.pairs.map(f).join(', ');
  console.log(
    `  tx per CPU-second    ${r.median.cpuRatio.toFixed(2)} of the bare client (baseline), the median of ${each((p) => p.cpuRatio.toFixed(2))} (Spout ${each((p) => fmt(p.spout.txPerCpuSecond))}; bare client ${each((p) => fmt(p.bare.txPerCpuSecond))})`,
  );
  // RSS is judged on the worst of the runs without probes, the ratio on the median one.
  const rss = r.pairs.map((p) => p.spout.rssMiB['1000k'] ?? Infinity);
  const growth = r.heap.spout.heapGrowthMiBPer100k;
  console.log(
    `  target RSS at 1M ≤ 200 MiB in every run (${rss.map((x) => x.toFixed(0)).join(', ')}): ${verdict(Math.max(...rss) <= 200)}`,
  );
  console.log(
    `  target live heap growth < 2 MiB per 100k over the second half (probed run: ${growth.toFixed(2)}): ${verdict(growth < 2)}`,
  );
  console.log(
    `  target ≥ 0.8 of the bare client's tx per CPU-second (median run): ${verdict(r.median.cpuRatio >= 0.8)}`,
  );
}

/** Issue 17's latency targets: frame in → webhook received, → WebSocket client, against a minimal pipeline. */
export async function printLatency(): Promise<void> {
  const r = await benchLatency();
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  console.log(
    `end-to-end latency: a whale's frame sent → received, with ${fmt(r.backgroundTxPerSecond)} small tx/s beside it (${r.spout.whales} whales, one at a random moment in each 50 ms; built CLI)`,
  );
  for (const [name, x] of [
    ['spout run', r.spout],
    ['minimal pipeline', r.minimal],
  ] as const)
    console.log(
      `  ${name.padEnd(20)} webhook p50 ${ms(x.webhookP50Ms)}, p99 ${ms(x.webhookP99Ms)}; WebSocket client p50 ${ms(x.websocketP50Ms)}, p99 ${ms(x.websocketP99Ms)}${name === 'minimal pipeline' ? ' (baseline: parse, sum outputs, POST and broadcast by hand)' : ''}`,
    );
  console.log(
    `  ratio p99            webhook ${(r.spout.webhookP99Ms / r.minimal.webhookP99Ms).toFixed(2)}, WebSocket ${(r.spout.websocketP99Ms / r.minimal.websocketP99Ms).toFixed(2)} of the baseline`,
  );
  console.log(
    `  target webhook p99 ≤ 10 ms: ${verdict(r.spout.webhookP99Ms <= 10)}; WebSocket p99 ≤ 5 ms: ${verdict(r.spout.websocketP99Ms <= 5)}`,
  );
}
