import { afterEach, describe, expect, it, vi } from 'vitest';
import { createScheduler } from '../../src/kernel/scheduler.js';
import { captureLog } from '../helpers/kernel.js';

afterEach(() => vi.useRealTimers());

describe('instance scheduler', () => {
  it('runs cron and interval tasks only while started; a failing run is logged and keeps its schedule', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-21T10:00:00.000Z') });
    const log = captureLog();
    const scheduler = createScheduler(log.log);
    const runs: string[] = [];
    let calls = 0;
    scheduler.cron('*/10 * * * * *', () => {
      runs.push(new Date().toISOString().slice(11, 19));
      if (++calls === 1) throw new Error('first run fails');
    });
    const every = scheduler.every(15_000, () => void runs.push('every'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toEqual([]); // not started yet: nothing runs during setup

    scheduler.start();
    expect(every.nextRun()?.toISOString()).toBe('2026-11-21T10:01:15.000Z');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runs.filter((r) => r !== 'every')).toEqual(['10:01:10', '10:01:20', '10:01:30']);
    expect(runs.filter((r) => r === 'every')).toHaveLength(2);
    expect(log.lines.find((l) => l.level === 'error')?.msg).toMatch(
      /scheduled task .* failed; it keeps its schedule/,
    );

    await scheduler.stopAll();
    const before = runs.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(before);
  });
});

describe('instance scheduler shutdown', () => {
  it('waits for a run in progress before stopAll resolves (bounded)', async () => {
    const scheduler = createScheduler(captureLog().log);
    let finished = false;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    scheduler.every(5, async () => {
      started();
      await new Promise((r) => setTimeout(r, 50));
      finished = true;
    });
    scheduler.start();
    await running;
    await scheduler.stopAll(1000);
    expect(finished).toBe(true);

    const stuck = createScheduler(captureLog().log);
    let begun!: () => void;
    const hung = new Promise<void>((r) => (begun = r));
    stuck.every(5, () => {
      begun();
      return new Promise<void>(() => {});
    });
    stuck.start();
    await hung;
    const t = Date.now();
    await stuck.stopAll(100);
    expect(Date.now() - t).toBeLessThan(1000);
  });
});
