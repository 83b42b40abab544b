import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEAP_FLAGS } from '../../src/kernel/heap.js';
import { CLI } from '../helpers/cli.js';
import { childEnv } from '../helpers/env.js';

// Issue 17, idle RSS: node's CommonJS export lexer, optimised during start-up, took 9–10 MB of
// compiler memory that glibc partly kept; the launchers' flags keep TurboFan off it.

const FILTER = '--turbo-filter=-parseSource';
let dir = '';
let config = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spout-turbo-filter-'));
  config = join(dir, 'spout.yaml');
  await writeFile(
    config,
    [
      `storage: { path: ${JSON.stringify(join(dir, 'spout.json'))} }`,
      'http: { enabled: false }',
      'inputs:',
      '  feed: { use: mempool, url: "ws://127.0.0.1:9/" }',
      'detectors:',
      '  whales: { use: whale, thresholdBtc: 100 }',
      '  urgency: { use: urgency }',
      '  rbf: { use: rbf }',
      'outputs:',
      '  screen: { use: console }',
      'jobs:',
      '  correlation: { use: correlation }',
      '',
    ].join('\n'),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** How many optimising compilations of `parseSource` V8 started while `spout check` loaded the default pipeline. */
async function lexerCompilations(flags: readonly string[]): Promise<number> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...flags, '--trace-opt', CLI, 'check', '--config', config],
    { env: childEnv(), maxBuffer: 64 * 2 ** 20 },
  );
  expect(stdout).toContain('OK');
  return stdout.split('\n').filter((l) => l.startsWith('[compiling method') && l.includes('parseSource'))
    .length;
}

describe("the launchers' flags and node's CommonJS export lexer", () => {
  it('the launchers pass the filter', () => {
    expect(HEAP_FLAGS).toContain(FILTER);
  });

  it('with the launchers’ flags V8 never optimises the lexer while Spout loads; without the filter it does', async () => {
    expect(await lexerCompilations(HEAP_FLAGS)).toBe(0);
    expect(await lexerCompilations(HEAP_FLAGS.filter((f) => f !== FILTER))).toBeGreaterThan(0);
  });
});
