import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPipelineConfig } from '../../bench/default-pipeline.js';
import { HEAP_FLAGS } from '../../src/kernel/heap.js';
import { CLI } from '../helpers/cli.js';
import { childEnv } from '../helpers/env.js';

// Issue 17, idle RSS: node's CommonJS export lexer, optimised during start-up, took 9–10 MB of
// compiler memory that glibc partly kept; the launchers' flags keep TurboFan off it.

const FILTER = '--turbo-filter=-parseSource';
let pipeline: Awaited<ReturnType<typeof defaultPipelineConfig>>;

// The benchmarks' default pipeline (mempool input, whale + urgency + rbf, console, correlation).
beforeAll(async () => {
  pipeline = await defaultPipelineConfig('{ use: mempool, url: "ws://127.0.0.1:9/" }');
});
afterAll(() => pipeline.remove());

/** How many optimising compilations of `parseSource` V8 started while `spout check` loaded the default pipeline. */
async function lexerCompilations(flags: readonly string[]): Promise<number> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...flags, '--trace-opt', CLI, 'check', '--config', pipeline.config],
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
