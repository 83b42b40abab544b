import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root and its built CLI entry. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = join(ROOT, 'dist', 'main.js');

/** `node …args` from the repository's root, its output ignored, with `env` beside this process's. */
export function spawnQuiet(args: string[], env: Readonly<Record<string, string>> = {}): ChildProcess {
  return spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

/**
 * A temporary folder with the config the whole-pipeline benchmarks run: `input` (one YAML flow
 * mapping) under `inputs:`, then whale (100 BTC) + urgency + rbf, console (`consoleFormat`) and
 * correlation, the store in the folder, HTTP off unless `more.http` (then `more.auth` too) says
 * otherwise, and `more.outputs` (YAML lines) beside the console. `remove()` deletes the folder.
 */
export async function defaultPipelineConfig(
  input: string,
  consoleFormat: 'json' | 'pretty' = 'json',
  log = 'warn',
  more: { http?: string; auth?: string; outputs?: string[] } = {},
): Promise<{ config: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'spout-bench-'));
  const config = join(dir, 'spout.yaml');
  await writeFile(
    config,
    [
      `storage: { path: ${JSON.stringify(join(dir, 'spout.json'))} }`,
      `http: ${more.http ?? '{ enabled: false }'}`,
      ...(more.auth ? [`auth: ${more.auth}`] : []),
      `log: { level: ${log} }`,
      'inputs:',
      `  feed: ${input}`,
      'detectors:',
      '  whales: { use: whale, thresholdBtc: 100 }',
      '  urgency: { use: urgency }',
      '  rbf: { use: rbf }',
      'outputs:',
      `  screen: { use: console, format: ${consoleFormat} }`,
      ...(more.outputs ?? []),
      'jobs:',
      '  correlation: { use: correlation }',
      '',
    ].join('\n'),
  );
  return { config, remove: () => rm(dir, { recursive: true, force: true }) };
}
