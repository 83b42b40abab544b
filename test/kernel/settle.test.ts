import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { settleAfterStart, SETTLE_AFTER_MS } from '../../src/kernel/settle.js';
import { childEnv } from '../helpers/env.js';

// Issue 17, idle memory: start-up grows V8's young generation to its cap, and V8 gives it back
// only if its memory reducer happens to run after start-up's last full collection (about half
// the runs on a quiet feed). One incremental full collection five seconds after start arms it.

const lines: Array<Record<string, unknown>> = [];
const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
const stops: Array<() => unknown> = [];
afterEach(() => {
  while (stops.length) stops.pop()?.();
  vi.useRealTimers();
  lines.length = 0;
});

describe('settling after start-up', () => {
  it('one full collection, incremental, five seconds after start; not before, not again', async () => {
    vi.useFakeTimers();
    const gc = vi.fn();
    stops.push(settleAfterStart({ gc, log }).stop);
    vi.advanceTimersByTime(SETTLE_AFTER_MS - 1);
    expect(gc).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    await vi.runAllTimersAsync();
    expect(gc).toHaveBeenCalledTimes(1);
    expect(gc).toHaveBeenCalledWith({ type: 'major', execution: 'async' });
    expect(String(lines.at(-1)?.msg)).toContain('settled after start-up: a full collection');
    vi.advanceTimersByTime(10 * SETTLE_AFTER_MS);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('cancelled by stop; skipped, saying why, without --expose-gc; a failing collector is logged, not thrown', async () => {
    vi.useFakeTimers();
    const gc = vi.fn();
    settleAfterStart({ gc, log }).stop();
    vi.advanceTimersByTime(2 * SETTLE_AFTER_MS);
    expect(gc).not.toHaveBeenCalled();

    settleAfterStart({ gc: undefined, log }).stop();
    expect(String(lines.at(-1)?.msg)).toContain('started without --expose-gc');

    const failing = vi.fn(() => {
      throw new Error('no collector here');
    });
    stops.push(settleAfterStart({ gc: failing, log }).stop);
    vi.advanceTimersByTime(SETTLE_AFTER_MS);
    await vi.runAllTimersAsync();
    expect(failing).toHaveBeenCalledTimes(1);
    expect(lines.at(-1)).toMatchObject({
      msg: 'settling after start-up failed',
      err: { message: 'no collector here' },
    });
  });

  it('the built command (its shebang passes --expose-gc) settles five seconds after start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-settle-'));
    await writeFile(
      join(dir, 'spout.yaml'),
      [
        `storage: { path: ${JSON.stringify(join(dir, 'spout.json'))} }`,
        'http: { enabled: false }',
        'log: { level: debug, format: json }',
        'detectors:',
        '  whales: { use: whale }',
        '',
      ].join('\n'),
    );
    const main = new URL('../../dist/main.js', import.meta.url).pathname;
    const child = spawn(main, ['run', '-c', join(dir, 'spout.yaml')], { cwd: dir, env: childEnv() });
    stops.push(() => child.kill('SIGKILL'));
    let out = '';
    const settled = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const look = (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.includes('settled after start-up'));
        if (line) resolve(JSON.parse(line) as Record<string, unknown>);
      };
      child.stdout.on('data', look);
      child.stderr.on('data', look);
      child.on('exit', (code) => reject(new Error(`exited (${code}) before settling:\n${out}`)));
    });
    expect(settled).toMatchObject({ level: 'debug' });
    expect(out).not.toContain('without --expose-gc');
  }, 30_000);
});
