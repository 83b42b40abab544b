import { Gauge, type Registry } from 'prom-client';
import { parseDuration } from '../config/durations.js';
import type { Logger } from 'pino';
import type { KernelConfig } from '../config/kernel-schema.js';
import type { KernelOptions } from './kernel-types.js';
import { applyHeapGrowth, heapLimitProblem } from './heap.js';
import { settleAfterStart, type CollectGarbage } from './settle.js';
import {
  createMemoryPressure,
  defaultMemoryLimitBytes,
  type MemoryLevel,
  type MemoryPressure,
} from './memory.js';

const RANK: Record<MemoryLevel, number> = { normal: 0, warning: 1, critical: 2 };
const MB = 2 ** 20;

/** What `/health` says of memory: null while normal. */
export function memoryReason(p: MemoryPressure): string | null {
  const { level, rssBytes, limitBytes } = p.snapshot();
  if (level === 'normal') return null;
  const figures = `RSS ${Math.round(rssBytes / MB)} MB of a ${Math.round(limitBytes / MB)} MB limit`;
  return level === 'warning'
    ? `memory warning (${figures}): caches shrunk`
    : `memory critical (${figures}): caches shrunk, small transactions and gap recovery shed`;
}

/**
 * Samples memory pressure every `everyMs()` while started (the timer does not keep the process
 * alive), exports `spout_memory_pressure_level` (0 normal, 1 warning, 2 critical) and
 * `spout_memory_rss_bytes`, and logs each change once: warn on the way up, info on the way back.
 */
export function watchMemory(options: {
  pressure: MemoryPressure;
  log: Logger;
  registry: Registry;
  everyMs: () => number;
}): { start(): void; stop(): void } {
  const { pressure, log } = options;
  new Gauge({
    name: 'spout_memory_pressure_level',
    help: 'Memory pressure: 0 normal, 1 warning (caches shrunk), 2 critical (optional work shed).',
    registers: [options.registry],
    collect() {
      this.set(RANK[pressure.level()]);
    },
  });
  new Gauge({
    name: 'spout_memory_rss_bytes',
    help: 'Resident set size at the last memory check.',
    registers: [options.registry],
    collect() {
      this.set(pressure.snapshot().rssBytes);
    },
  });
  pressure.onChange((level, previous) => {
    const { rssBytes, limitBytes } = pressure.snapshot();
    const fields = {
      level,
      previous,
      rssMb: Math.round(rssBytes / MB),
      limitMb: Math.round(limitBytes / MB),
    };
    if (RANK[level] > RANK[previous]) log.warn(fields, memoryReason(pressure) ?? level);
    else
      log.info(
        fields,
        `memory ${level} again (was ${previous})${level === 'normal' ? ': caches and shed work back' : ''}`,
      );
  });
  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      if (timer) return;
      pressure.check();
      timer = setInterval(() => pressure.check(), options.everyMs());
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

/**
 * The kernel's memory pressure and its watch, from `kernel.memory` as it is now (`settings()`,
 * read at each check: a reload applies at the next one); the limit defaults to the runtime's.
 * Start the watch when the kernel runs, stop it at shutdown.
 */
export function createKernelMemory(o: {
  settings: () => KernelConfig['kernel']['memory'];
  options: Pick<
    KernelOptions,
    'memorySample' | 'memoryLimitBytes' | 'heapLimitBytes' | 'setV8Flags' | 'collectGarbage'
  >;
  log: Logger;
  registry: Registry;
  now: () => number;
}): { memory: MemoryPressure; memoryWatch: { start(): void; stop(): void } } {
  const runtimeLimit = o.options.memoryLimitBytes ?? defaultMemoryLimitBytes();
  const memory = createMemoryPressure({
    thresholds: () => {
      const m = o.settings();
      return {
        limitBytes: m.limitMb !== undefined ? m.limitMb * MB : runtimeLimit,
        warningAt: m.warningAt,
        criticalAt: m.criticalAt,
        recoverAt: m.recoverAt,
      };
    },
    ...(o.options.memorySample ? { sample: o.options.memorySample } : {}),
    now: o.now,
    onError: (error) => o.log.error({ err: error }, 'a memory-pressure listener failed'),
  });
  // The heap's growth follows the level: tighter under pressure, V8's own when normal again.
  memory.onChange((level) => applyHeapGrowth(level, o.options.setV8Flags));
  const watch = watchMemory({
    pressure: memory,
    log: o.log,
    registry: o.registry,
    everyMs: () => parseDuration(o.settings().checkEvery),
  });
  let settling: { stop(): void } | null = null;
  const memoryWatch = {
    start() {
      settling ??= settleAfterStart({
        gc:
          o.options.collectGarbage === undefined
            ? (globalThis as { gc?: CollectGarbage }).gc
            : (o.options.collectGarbage ?? undefined),
        log: o.log,
      });
      // Checked at each start (a reload may have changed the limit): said once, loudly, at boot.
      const { limitBytes } = memory.snapshot();
      const problem = heapLimitProblem(limitBytes, o.settings().criticalAt, o.options.heapLimitBytes);
      if (problem) o.log.warn({ limitBytes }, problem);
      watch.start();
    },
    stop() {
      settling?.stop();
      watch.stop();
    },
  };
  return { memory, memoryWatch };
}
