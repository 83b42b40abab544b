import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { RecordedEvent, RecordingHeader } from '../../src/backtest/format.js';
import type { BacktestReport } from '../../src/backtest/report.js';
import { run, start } from '../helpers/cli.js';

export const tempDir = (name: string) => mkdtemp(join(tmpdir(), `spout-${name}-`));

/**
 * A simulator config: seeded, on a fixed simulated clock, one block every 0.5 s of real time
 * (600 simulated seconds at speed 1200) with about 300 transactions and 20 whales per block.
 */
export function simulatorYaml(extra: string[] = []): string {
  return [
    'log: { level: info, format: json }',
    'http: { listen: "127.0.0.1:0" }',
    'inputs:',
    '  sim:',
    '    use: simulator',
    '    seed: 42',
    '    speed: 1200',
    '    txPerSecond: 0.5',
    '    whalesPerHour: 120',
    '    rbfShare: 0.3',
    '    startTime: "2026-01-01T00:00:00.000Z"',
    ...extra,
  ].join('\n');
}

export async function writeConfig(dir: string, yaml: string, name = 'config.yaml'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, yaml + '\n');
  return path;
}

/** A new temporary folder holding the {@link simulatorYaml} config, and `out` as a path in it. */
export async function simulatorWorkspace(name: string, out = 'rec.ndjson.gz') {
  const dir = await tempDir(name);
  const config = await writeConfig(dir, simulatorYaml());
  return { dir, config, out: join(dir, out) };
}

/** A recording read whole (gunzipSync throws on a file that is not a complete gzip stream). */
export async function readRecording(
  path: string,
): Promise<{ header: RecordingHeader; events: RecordedEvent[] }> {
  const lines = gunzipSync(await readFile(path))
    .toString('utf8')
    .trimEnd()
    .split('\n');
  return {
    header: JSON.parse(lines[0]!) as RecordingHeader,
    events: lines.slice(1).map((l) => JSON.parse(l) as RecordedEvent),
  };
}

/** Record with the built CLI until `--blocks N` stops it; fails the test unless it exits 0. */
export async function record(config: string, out: string, blocks: number, extra: string[] = []) {
  const result = await run(['record', '-c', config, '--out', out, '--blocks', String(blocks), ...extra]);
  if (result.code !== 0) throw new Error(`spout record exited ${result.code}:\n${result.stderr}`);
  return result;
}

/**
 * Record two simulator blocks with `--max-size 64KB`, so that the recording rotates: `parts` are
 * `rec.ndjson.gz`, then `rec.1.ndjson.gz`, `rec.2…` as far as they exist, in part order.
 */
export async function recordRotated(name: string) {
  const { dir, config, out } = await simulatorWorkspace(name);
  const { stderr } = await record(config, out, 2, ['--max-size', '64KB']);
  const parts = [out];
  for (let n = 1; ; n++) {
    const part = join(dir, `rec.${n}.ndjson.gz`);
    if (!(await stat(part).catch(() => null))) break;
    parts.push(part);
  }
  return { dir, parts, stderr };
}

/** `spout backtest --json` with the built CLI; fails the test unless it exits 0. */
export async function backtestJson(args: string[], cwd?: string) {
  const result = await run(['backtest', '--json', ...args], cwd ? { cwd } : {});
  if (result.code !== 0) throw new Error(`spout backtest exited ${result.code}:\n${result.stderr}`);
  return { report: JSON.parse(result.stdout) as BacktestReport, stderr: result.stderr };
}

export { run, start };
