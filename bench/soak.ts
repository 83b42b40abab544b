import { observe } from './inspect.js';
import { HEAP_ENV, HEAP_FLAGS } from '../src/kernel/heap.js';
import { defaultPipelineConfig, MAIN, ROOT } from './default-pipeline.js';

/** One sample of the soak: minutes since start, RSS and live heap after a full GC. */
export interface SoakSample {
  minute: number;
  rssMiB: number;
  liveHeapMiB: number;
  cpuSeconds: number;
}

// Mainnet's long-run average is about 7 transactions per second.
const MAINNET_TX_PER_SECOND = 7;

/**
 * Issue 17, benchmark (d), not run by CI: `spout run` on the simulator at `speed` × mainnet's
 * transaction rate for `minutes`, with whale + urgency + rbf, console and correlation; RSS and
 * live heap (after a full GC through the inspector) sampled each `everyMs`.
 */
export async function benchSoak(
  minutes: number,
  speed = 10,
  everyMs = 60_000,
  onSample: (s: SoakSample) => void = () => {},
): Promise<SoakSample[]> {
  const { config, remove } = await defaultPipelineConfig(
    `{ use: simulator, seed: 17, txPerSecond: ${MAINNET_TX_PER_SECOND}, speed: ${speed} }`,
  );
  const p = await observe([...HEAP_FLAGS, MAIN, 'run', '--config', config], ROOT, HEAP_ENV);
  const samples: SoakSample[] = [];
  try {
    const started = performance.now();
    for (let i = 1; i * everyMs <= minutes * 60_000; i++) {
      const wait = started + i * everyMs - performance.now();
      await new Promise((r) => setTimeout(r, Math.max(0, wait))); // sampling on a clock: nothing to await
      const sample = {
        minute: (i * everyMs) / 60_000,
        rssMiB: await p.rssMiB(),
        liveHeapMiB: await p.liveHeapMiB(),
        cpuSeconds: await p.cpuSeconds(),
      };
      samples.push(sample);
      onSample(sample);
    }
    return samples;
  } finally {
    await p.stop();
    await remove();
  }
}

/**
 * Rows of a small text chart of `values`, `height` lines high, one column per value, scaled
 * from the smallest value to the largest (a flat line shows as one row).
 */
export function sparkChart(values: number[], height = 8): string[] {
  const max = Math.max(...values);
  const min = Math.min(...values);
  const step = (max - min) / height || 1;
  const rows: string[] = [];
  for (let h = height; h >= 1; h--) {
    const level = min + step * (h - 1);
    const label = (min + step * h).toFixed(1).padStart(7);
    rows.push(`${label} ┤${values.map((v) => (v > level || (h === 1 && v >= min) ? '█' : ' ')).join('')}`);
  }
  rows.push(`${''.padStart(7)} └${'─'.repeat(values.length)}`);
  return rows;
}
