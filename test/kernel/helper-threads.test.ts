import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HELPER_THREADS_NICE,
  lowerHelperThreads,
  type ThreadAccess,
} from '../../src/kernel/helper-threads.js';
import { planReload } from '../../src/kernel/reload-plan.js';
import { start, type Running } from '../helpers/cli.js';
import { config } from '../helpers/kernel.js';

// Issue 17, the WebSocket p99: V8 compiles hot functions on its worker threads throughout a run,
// and on two cores a compilation that holds a core kept the main thread from a whale's frame.
// `spout run` gives every thread but the main one the lowest priority.

/** A fake thread list: what was set, and which ids fail how. */
function fakeThreads(tids: number[], failing: Record<number, string> = {}) {
  const set: Array<[number, number]> = [];
  const threads: ThreadAccess = {
    list: () => tids,
    set(tid, nice) {
      if (failing[tid]) throw Object.assign(new Error(failing[tid]), { code: failing[tid] });
      set.push([tid, nice]);
    },
  };
  return { threads, set };
}

describe('lowering the helper threads', () => {
  it('sets every thread but the main one, and counts them', () => {
    const { threads, set } = fakeThreads([100, 101, 102, 103]);
    expect(lowerHelperThreads(19, { pid: 100, threads })).toBe(3);
    expect(set).toEqual([
      [101, 19],
      [102, 19],
      [103, 19],
    ]);
  });

  it('skips a thread that ended or may not be changed, and goes on with the others', () => {
    const { threads, set } = fakeThreads([100, 101, 102, 103], { 101: 'ESRCH', 102: 'EACCES' });
    expect(lowerHelperThreads(10, { pid: 100, threads })).toBe(1);
    expect(set).toEqual([[103, 10]]);
  });

  it('changes nothing for 0, and answers null where no thread list exists', () => {
    const { threads, set } = fakeThreads([100, 101]);
    expect(lowerHelperThreads(0, { pid: 100, threads })).toBe(0);
    expect(set).toEqual([]);
    const none: ThreadAccess = {
      list: () => {
        throw Object.assign(new Error('no /proc/self/task'), { code: 'ENOENT' });
      },
      set: () => {
        throw new Error('not reached');
      },
    };
    expect(lowerHelperThreads(19, { pid: 100, threads: none })).toBeNull();
  });

  it('a reload that changes it says a restart is needed', () => {
    const current = config([]);
    const next = config([], { kernel: { ...current.kernel, helperThreadsNice: 5 } });
    expect(planReload(current, next).needsRestart).toContain('kernel.helperThreadsNice');
    expect(planReload(current, config([])).needsRestart).toEqual([]);
  });
});

/** Each thread of `pid` with its nice value (field 19 of /proc/PID/task/TID/stat). */
function niceOf(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: the fields are counted after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(tid, Number(fields[16]));
  }
  return out;
}

describe.runIf(process.platform === 'linux')('spout run on Linux', () => {
  const running: Running[] = [];
  afterEach(() => {
    while (running.length) running.pop()?.child.kill('SIGKILL');
  });

  /** Start `spout run` with `kernel` (a YAML line) and read its threads once it runs. */
  async function runWith(kernel: string): Promise<{ pid: number; nice: Map<number, number> }> {
    const dir = await mkdtemp(join(tmpdir(), 'spout-nice-'));
    await writeFile(
      join(dir, 'spout.yaml'),
      [
        `storage: { path: ${JSON.stringify(join(dir, 'spout.json'))} }`,
        'http: { enabled: false }',
        'log: { level: info, format: json }',
        kernel,
        'detectors:',
        '  whales: { use: whale }',
        '',
      ].join('\n'),
    );
    const p = start(['run', '-c', join(dir, 'spout.yaml')], { cwd: dir });
    running.push(p);
    await p.waitFor('Spout running');
    const pid = p.child.pid as number;
    return { pid, nice: niceOf(pid) };
  }

  it('runs its helper threads at the lowest priority and its main thread as it was', async () => {
    // What a child inherits (0 unless the suite itself was started with `nice`).
    const inherited = getPriority();
    const lowered = await runWith('');
    // The main thread's id is the process id.
    expect(lowered.nice.get(lowered.pid)).toBe(inherited);
    const helpers = [...lowered.nice].filter(([tid]) => tid !== lowered.pid).map(([, nice]) => nice);
    // V8's four workers and libuv's pool at least.
    expect(helpers.filter((n) => n === HELPER_THREADS_NICE).length).toBeGreaterThanOrEqual(4);

    const left = await runWith('kernel: { helperThreadsNice: 0 }');
    expect(left.nice.size).toBeGreaterThan(4);
    expect([...left.nice.values()].every((n) => n === inherited)).toBe(true);
  }, 30_000);
});
