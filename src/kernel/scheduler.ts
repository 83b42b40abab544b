import { createTask, validate, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { HealthState } from '../plugin/types.js';

/** A scheduled task of one instance. */
export interface Task {
  stop(): void;
  /** Next planned run, or null when stopped. */
  nextRun(): Date | null;
}

/** Where a task reports its runs: the instance's health (`ctx.health`). */
export interface TaskHealth {
  set(state: HealthState, reason?: string): void;
}

export interface TaskOptions {
  /** Names the task in logs (and in health reasons); default: the expression or the interval. */
  name?: string;
  /**
   * Tie the instance's health to the runs: a run that throws is logged as `<name> run failed:
   * <message>` and sets `degraded` with the reason `last <name> run failed: <message>`; the next
   * run that succeeds sets `healthy` again (a success after a success leaves health alone). Without
   * it, a failing run is only logged.
   */
  health?: TaskHealth;
}

/**
 * Cron and interval tasks of one instance. Tasks made during setup wait for the instance to
 * start; all stop when it stops. Runs of one task never overlap; a run that throws is logged and
 * the task keeps its schedule.
 */
export interface Scheduler {
  /** Run `fn` on a 5- or 6-field cron expression (node-cron syntax, local time unless `timezone`). */
  cron(
    expression: string,
    fn: () => void | Promise<void>,
    options?: TaskOptions & { timezone?: string },
  ): Task;
  /** Run `fn` every `ms` milliseconds. */
  every(ms: number, fn: () => void | Promise<void>, options?: TaskOptions): Task;
}

/** The kernel's handle on an instance scheduler. */
export interface InstanceScheduler extends Scheduler {
  start(): void;
  /** Stop every task and wait (at most `waitMs`) for runs in progress to finish. */
  stopAll(waitMs?: number): Promise<void>;
}

/** True for a cron expression node-cron accepts. */
export const isCronExpression = (expression: string): boolean => validate(expression);

export function createScheduler(
  log: Logger,
  onFailure: (task: string, error: unknown) => void = () => {},
): InstanceScheduler {
  type Entry = { start(): void; stop(): void | Promise<void> };
  const entries = new Set<Entry>();
  let started = false;

  const inProgress = new Set<Promise<void>>();
  const guarded = (name: string, fn: () => void | Promise<void>, health?: TaskHealth) => {
    let busy = false;
    let failing = false;
    return async () => {
      if (busy) return;
      busy = true;
      const run = (async () => {
        try {
          await fn();
          if (failing) health?.set('healthy');
          failing = false;
        } catch (error) {
          if (health) {
            // Worded as the jobs logged their own failures before the scheduler did it for them.
            failing = true;
            const message = error instanceof Error ? error.message : String(error);
            log.error({ err: error }, `${name} run failed: ${message}`);
            health.set('degraded', `last ${name} run failed: ${message}`);
          } else {
            log.error({ err: error, task: name }, `scheduled task "${name}" failed; it keeps its schedule`);
          }
          onFailure(name, error);
        } finally {
          busy = false;
        }
      })();
      inProgress.add(run);
      await run;
      inProgress.delete(run);
    };
  };

  const add = (entry: Entry): void => {
    entries.add(entry);
    if (started) entry.start();
  };

  return {
    cron(expression, fn, options = {}) {
      const name = options.name ?? expression;
      const run = guarded(name, fn, options.health);
      const cronLogger = {
        info: () => {},
        debug: () => {},
        warn: (message: string) => log.warn({ task: name }, message),
        error: (message: string | Error) => log.error({ task: name }, String(message)),
      };
      const task: ScheduledTask = createTask(expression, run, {
        name,
        noOverlap: true,
        logger: cronLogger,
        ...(options.timezone ? { timezone: options.timezone } : {}),
      });
      let running = false;
      const entry: Entry = {
        start: () => {
          running = true;
          void task.start();
        },
        stop: async () => {
          running = false;
          await task.destroy();
        },
      };
      add(entry);
      return {
        stop: () => {
          entries.delete(entry);
          void entry.stop();
        },
        nextRun: () => (running ? task.getNextRun() : null),
      };
    },
    every(ms, fn, options = {}) {
      const run = guarded(options.name ?? `every ${ms} ms`, fn, options.health);
      let timer: NodeJS.Timeout | null = null;
      let next: number | null = null;
      const entry: Entry = {
        start: () => {
          next = Date.now() + ms;
          timer = setInterval(() => {
            next = Date.now() + ms;
            void run();
          }, ms);
        },
        stop: () => {
          if (timer) clearInterval(timer);
          timer = null;
          next = null;
        },
      };
      add(entry);
      return {
        stop: () => {
          entries.delete(entry);
          void entry.stop();
        },
        nextRun: () => (next === null ? null : new Date(next)),
      };
    },
    start() {
      if (started) return;
      started = true;
      for (const entry of entries) entry.start();
    },
    async stopAll(waitMs = 5_000) {
      started = false;
      const all = [...entries];
      entries.clear();
      await Promise.all(all.map((e) => e.stop()));
      // A run that is half done (an accuracy alert, a retention pass) finishes before the bus
      // drains and the store closes; one that hangs is left behind after waitMs.
      if (inProgress.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(inProgress), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
        clearTimeout(timer);
      }
    },
  };
}
