import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { HEAP_ENV, HEAP_FLAGS, heapLimitProblem } from '../../src/kernel/heap.js';
import { runYaml } from '../helpers/run-yaml.js';

// Issue 17, "heap sized on purpose": every launcher passes the same V8 flags, and a memory limit
// whose critical level lies past what the heap may grow to is said at boot, with the fix.

const MB = 2 ** 20;
const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

describe('heap sizing', () => {
  it('every launcher passes the heap flags and environment: the bin entry, npm start and demo, the Dockerfile, the systemd unit', () => {
    expect(HEAP_FLAGS.length).toBeGreaterThan(0);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const launchers = {
      'dist/main.js': read('dist/main.js').split('\n')[0] as string,
      'npm start': scripts.start as string,
      'npm run demo': scripts.demo as string,
      'deploy/Dockerfile': read('deploy/Dockerfile').match(/^ENTRYPOINT .*$/m)?.[0] ?? '',
      'deploy/spout.service': read('deploy/spout.service').match(/^ExecStart=.*$/m)?.[0] ?? '',
    };
    for (const [where, line] of Object.entries(launchers))
      for (const flag of HEAP_FLAGS) expect(line, where).toContain(flag);
    const env = Object.entries(HEAP_ENV).map(([k, v]) => `${k}=${v}`);
    expect(env.length).toBeGreaterThan(0);
    expect(launchers['dist/main.js']).toBe(`#!/usr/bin/env -S ${env.join(' ')} node ${HEAP_FLAGS.join(' ')}`);
    for (const assignment of env) {
      expect(scripts.start).toMatch(new RegExp(`^${assignment} node `));
      expect(scripts.demo).toMatch(new RegExp(`^${assignment} node `));
      expect(read('deploy/Dockerfile')).toMatch(new RegExp(`^ENV ${assignment}$`, 'm'));
      expect(read('deploy/spout.service')).toMatch(new RegExp(`^Environment=${assignment}$`, 'm'));
    }
  });

  it('the bin entry runs as a command through its shebang', async () => {
    const { stdout } = await promisify(execFile)(new URL('dist/main.js', root).pathname, ['--version']);
    expect(stdout).toMatch(/\d+\.\d+\.\d+/);
  });

  it('says when critical lies past the heap limit, with the flag that fixes it', () => {
    expect(heapLimitProblem(1000 * MB, 0.9, 2048 * MB)).toBeNull();
    expect(heapLimitProblem(2000 * MB, 0.9, 2048 * MB)).toBeNull(); // 1,800 MB ≤ 2,048 MB
    const problem = heapLimitProblem(4096 * MB, 0.9, 2048 * MB);
    expect(problem).toContain('critical is at 3686 MB of RSS');
    expect(problem).toContain("V8's heap may not grow past 2048 MB");
    expect(problem).toContain('--max-old-space-size=4096');
  });

  it('warns once at boot when kernel.memory.limitMb is past the heap limit, and not otherwise', async () => {
    const warned = async (limitMb: number) => {
      const yaml = `kernel: { memory: { limitMb: ${limitMb} } }\ndetectors:\n  whales: { use: whale }\n`;
      const run = await runYaml(yaml, { heapLimitBytes: 256 * MB });
      stops.push(run.stop);
      return run.log.lines.filter((l) => String(l.msg).includes('--max-old-space-size'));
    };
    const past = await warned(512);
    expect(past).toHaveLength(1);
    expect(past[0]).toMatchObject({ level: 'warn' });
    expect(String(past[0]?.msg)).toContain('--max-old-space-size=512');
    expect(await warned(256)).toHaveLength(0); // critical at 230 MB: the heap can get there
  });
});

describe('the heap under memory pressure', () => {
  it("tightens V8's heap growth at warning and critical, and gives it back when normal", async () => {
    let rss = 100;
    const flags: string[] = [];
    const run = await runYaml('detectors:\n  whales: { use: whale }\n', {
      memorySample: () => rss,
      memoryLimitBytes: 1000,
      setV8Flags: (f) => void flags.push(f),
    });
    stops.push(run.stop);
    expect(flags).toEqual([]);
    rss = 850;
    expect(run.kernel.memory.check()).toBe('warning');
    rss = 950;
    expect(run.kernel.memory.check()).toBe('critical');
    rss = 100;
    expect(run.kernel.memory.check()).toBe('normal');
    expect(flags).toEqual([
      '--heap-growing-percent=50',
      '--heap-growing-percent=20',
      '--heap-growing-percent=0',
    ]);
  });
});
