import { afterEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, type TaskHealth } from '../../src/kernel/scheduler.js';
import type { HealthState } from '../../src/plugin/types.js';
import { captureLog } from '../helpers/kernel.js';

afterEach(() => vi.useRealTimers());

/** A health handle that records what it is told. */
function recorder() {
  const calls: Array<[HealthState, string | undefined]> = [];
  const health: TaskHealth = { set: (state, reason) => void calls.push([state, reason]) };
  return { health, calls };
}

/** Runs that fail or succeed as scripted, one entry per run. */
const scripted = (script: Array<'ok' | Error>) => {
  let run = 0;
  return () => {
    const step = script[run++] ?? 'ok';
    if (step !== 'ok') throw step;
  };
};

describe('scheduled task with health', () => {
  it('a failing run marks the instance degraded with the reason; the next success marks it healthy, once', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-21T10:00:00.000Z') });
    const log = captureLog();
    const scheduler = createScheduler(log.log);
    const { health, calls } = recorder();
    const fn = scripted(['ok', new Error('disk full'), new Error('still full'), 'ok', 'ok']);
    scheduler.every(1_000, fn, { name: 'retention', health });
    scheduler.start();

    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual([]); // success after success: health is left alone
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toEqual([
      ['degraded', 'last retention run failed: disk full'],
      ['degraded', 'last retention run failed: still full'],
    ]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls.slice(2)).toEqual([['healthy', undefined]]);

    // Logged as the job's own failure line, not the generic one.
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.msg)).toEqual([
      'retention run failed: disk full',
      'retention run failed: still full',
    ]);
    expect(errors[0]?.err).toMatchObject({ message: 'disk full' });
    await scheduler.stopAll();
  });

  it('works the same on a cron schedule, and the task keeps its schedule after a failure', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-21T10:00:00.000Z') });
    const scheduler = createScheduler(captureLog().log);
    const { health, calls } = recorder();
    let runs = 0;
    scheduler.cron(
      '*/10 * * * * *',
      async () => {
        if (++runs === 1) throw new Error('store closed');
      },
      { name: 'accuracy', health },
    );
    scheduler.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runs).toBe(3);
    expect(calls).toEqual([
      ['degraded', 'last accuracy run failed: store closed'],
      ['healthy', undefined],
    ]);
    await scheduler.stopAll();
  });

  it('without the option a failing run is only logged, with the generic line', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-21T10:00:00.000Z') });
    const log = captureLog();
    const scheduler = createScheduler(log.log);
    scheduler.every(1_000, scripted([new Error('boom')]), { name: 'rescan' });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log.lines.filter((l) => l.level === 'error').map((l) => [l.msg, l.task])).toEqual([
      ['scheduled task "rescan" failed; it keeps its schedule', 'rescan'],
    ]);
    await scheduler.stopAll();
  });
});
