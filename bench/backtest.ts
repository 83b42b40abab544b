import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILTIN_PLUGINS } from '../plugins/index.js';
import { createSimulation } from '../plugins/inputs/simulator/simulation.js';
import { createReplayClock } from '../src/backtest/clock.js';
import { backtestPipeline } from '../src/backtest/config.js';
import { RECORDING_VERSION } from '../src/backtest/format.js';
import { openRecording, readEvents, type RecordingFile } from '../src/backtest/reader.js';
import { replay } from '../src/backtest/replay.js';
import { createRecordingWriter } from '../src/backtest/writer.js';
import { createLogger } from '../src/log/logger.js';
import { fmt } from './format.js';

export interface BacktestBench {
  events: number;
  whales: number;
  bytes: number;
  /** Reading the recording alone: gunzip, lines, JSON.parse (the baseline). */
  readPerSecond: number;
  /** `spout backtest`'s replay: the default detectors and correlation on the recording's clock. */
  backtestPerSecond: number;
  ratio: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

/** A simulator recording of `total` events, timed on the simulated clock (as if recorded live). */
async function makeRecording(dir: string, total: number): Promise<RecordingFile> {
  const startedAt = '2026-01-01T00:00:00.000Z';
  const start = Date.parse(startedAt);
  const out = join(dir, 'bench.ndjson.gz');
  const writer = createRecordingWriter({
    out,
    maxBytes: 2 ** 40,
    force: true,
    onError: (error) => {
      throw error;
    },
    header: (part) => ({
      spout: 'recording',
      version: RECORDING_VERSION,
      spoutVersion: 'bench',
      startedAt,
      part,
      inputs: [{ instance: 'sim', plugin: 'simulator' }],
    }),
  });
  const simulation = createSimulation({ seed: 7, startTime: startedAt, whalesPerHour: 60 });
  for (let i = 0; i < total; i++) {
    const e = simulation.next();
    await writer.write({
      type: e.type,
      time: new Date(start + e.at).toISOString(),
      source: 'sim',
      data: e.data,
    });
  }
  await writer.close();
  return (await openRecording(out, out)) as RecordingFile;
}

/**
 * Backtest speed in events per second: the same recording read alone (the baseline) and replayed
 * through whale + urgency + rbf and correlation, alternating, medians of `rounds` compared.
 */
export async function benchBacktest(total = 200_000, rounds = 3): Promise<BacktestBench> {
  const dir = await mkdtemp(join(tmpdir(), 'spout-bench-backtest-'));
  try {
    const file = await makeRecording(dir, total);
    const log = createLogger({ level: 'silent', format: 'json' }).log;
    const read: number[] = [];
    const full: number[] = [];
    let whales = 0;
    for (let r = 0; r < rounds; r++) {
      const t = process.hrtime.bigint();
      const { events } = await readEvents(file, () => {});
      read.push(events / (Number(process.hrtime.bigint() - t) / 1e9));
      const clock = createReplayClock();
      const { config } = await backtestPipeline({ user: null, catalogue: BUILTIN_PLUGINS, clock, cwd: dir });
      const result = await replay({ config, clock, files: [file], log });
      full.push(result.events / (result.elapsedMs / 1000));
      whales = result.whales.length;
    }
    const readPerSecond = median(read);
    const backtestPerSecond = median(full);
    return {
      events: total,
      whales,
      bytes: file.bytes,
      readPerSecond,
      backtestPerSecond,
      ratio: backtestPerSecond / readPerSecond,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Run {@link benchBacktest} and print it as `npm run bench` prints the others. */
export async function printBacktest(): Promise<void> {
  const b = await benchBacktest();
  console.log(
    `backtest: ${fmt(b.events)} recorded simulator events (${fmt(b.whales)} whales), ${(b.bytes / 2 ** 20).toFixed(1)} MiB of gzip NDJSON`,
  );
  console.log(
    `  read alone           ${fmt(b.readPerSecond)} events/s (gunzip, lines, JSON.parse; baseline)`,
  );
  console.log(
    `  spout backtest       ${fmt(b.backtestPerSecond)} events/s (whale+urgency+rbf, correlation, recording's clock)`,
  );
  console.log(`  ratio                ${b.ratio.toFixed(2)} of the baseline`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await printBacktest();
