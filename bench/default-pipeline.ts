import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root and its built CLI entry. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = join(ROOT, 'dist', 'main.js');

/**
 * A temporary folder with the config the whole-pipeline benchmarks run: `input` (one YAML flow
 * mapping) under `inputs:`, then whale (100 BTC) + urgency + rbf, console (`consoleFormat`) and
 * correlation, the store in the folder, HTTP off. `remove()` deletes the folder.
 */
export async function defaultPipelineConfig(
  input: string,
  consoleFormat: 'json' | 'pretty' = 'json',
  log = 'warn',
): Promise<{ config: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'spout-bench-'));
  const config = join(dir, 'spout.yaml');
  await writeFile(
    config,
    [
      `storage: { path: ${JSON.stringify(join(dir, 'spout.json'))} }`,
      'http: { enabled: false }',
      `log: { level: ${log} }`,
      'inputs:',
      `  feed: ${input}`,
      'detectors:',
      '  whales: { use: whale, thresholdBtc: 100 }',
      '  urgency: { use: urgency }',
      '  rbf: { use: rbf }',
      'outputs:',
      `  screen: { use: console, format: ${consoleFormat} }`,
      'jobs:',
      '  correlation: { use: correlation }',
      '',
    ].join('\n'),
  );
  return { config, remove: () => rm(dir, { recursive: true, force: true }) };
}
