import { memoryFigures } from './process-figures.js';

/** Memory pressure: `normal`, `warning` (caches shrink) or `critical` (optional work is shed too). */
export type MemoryLevel = 'normal' | 'warning' | 'critical';

/** Thresholds as fractions of `limitBytes` (0 < recoverAt < warningAt < criticalAt ≤ 1). */
export interface MemoryThresholds {
  limitBytes: number;
  warningAt: number;
  criticalAt: number;
  recoverAt: number;
}

/**
 * The level for `rssBytes` coming from `current`. Up at once: at or above `criticalAt` →
 * critical, at or above `warningAt` → warning. Down with hysteresis: critical eases to warning
 * only below `warningAt`, and back to normal only below `recoverAt`, so RSS hovering at a
 * threshold does not flap.
 */
export function nextLevel(current: MemoryLevel, rssBytes: number, t: MemoryThresholds): MemoryLevel {
  const share = rssBytes / t.limitBytes;
  if (share >= t.criticalAt) return 'critical';
  if (share >= t.warningAt) return current === 'critical' ? 'critical' : 'warning';
  if (share >= t.recoverAt)
    return current === 'normal'
      ? 'normal'
      : current === 'critical' && share < t.warningAt
        ? 'warning'
        : current;
  return 'normal';
}

/** What the kernel tells plugins (`ctx.memory`) and `/health`. */
export interface MemoryPressure {
  /** The level as of the last check. */
  level(): MemoryLevel;
  /**
   * `fn(level, previous)` on every change of level, synchronously from `check()`, in
   * registration order; returns the unsubscribe. A listener that throws is logged by the caller
   * of `check` and does not stop the others.
   */
  onChange(fn: (level: MemoryLevel, previous: MemoryLevel) => void): () => void;
  /**
   * Declare that transactions moving at most `sats` are of no use to the declarer (a whale
   * detector's threshold), `owner` naming the declaring instance. Returns the withdrawal. See
   * {@link floorSats} and {@link interestFloorSats}.
   */
  declareFloor(sats: number, owner?: string): () => void;
  /**
   * The smallest declared floor: a `tx.seen` at or below it is of no use to any declarer, so an
   * input may drop it while critical. Null when nothing is declared (then nothing may be dropped).
   */
  floorSats(): number | null;
  /**
   * The floor under which none of `consumers` (the instances that read `tx.seen`) has any use for
   * a transaction: the smallest of their floors when every one of them declared one, else null
   * (also when there are none). An input may skip such transactions at any level.
   */
  interestFloorSats(consumers: readonly string[]): number | null;
  /** Sample RSS and move the level; returns the level. */
  check(): MemoryLevel;
  /** The last sample, for `/health` and `/api/status`. */
  snapshot(): { level: MemoryLevel; rssBytes: number; limitBytes: number; since: number | null };
}

/**
 * Memory pressure from RSS samples against `thresholds()` (read at each check, so a reload's
 * new thresholds apply at the next one). `sample` gives RSS in bytes (the process's by default);
 * `now` stamps `since` (when the level last left normal). `onError` gets a listener's throw.
 */
export function createMemoryPressure(options: {
  thresholds: () => MemoryThresholds;
  sample?: () => number;
  now?: () => number;
  onError?: (error: unknown) => void;
}): MemoryPressure {
  const sample = options.sample ?? (() => process.memoryUsage.rss());
  const now = options.now ?? Date.now;
  const listeners = new Set<(level: MemoryLevel, previous: MemoryLevel) => void>();
  const floors = new Map<symbol, { sats: number; owner: string | undefined }>();
  let level: MemoryLevel = 'normal';
  let rssBytes = 0;
  let since: number | null = null;
  return {
    level: () => level,
    onChange(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    declareFloor(sats, owner) {
      const key = Symbol('floor');
      floors.set(key, { sats, owner });
      return () => void floors.delete(key);
    },
    floorSats() {
      const min = Math.min(...[...floors.values()].map((f) => f.sats));
      return Number.isFinite(min) ? min : null;
    },
    interestFloorSats(consumers) {
      if (consumers.length === 0) return null;
      let floor = Infinity;
      for (const name of consumers) {
        let own: number | null = null;
        for (const f of floors.values())
          if (f.owner === name) own = own === null ? f.sats : Math.min(own, f.sats);
        if (own === null) return null;
        floor = Math.min(floor, own);
      }
      return Number.isFinite(floor) ? floor : null;
    },
    check() {
      rssBytes = sample();
      const previous = level;
      level = nextLevel(level, rssBytes, options.thresholds());
      if (level === previous) return level;
      since = level === 'normal' ? null : previous === 'normal' ? now() : since;
      for (const fn of [...listeners]) {
        try {
          fn(level, previous);
        } catch (error) {
          options.onError?.(error);
        }
      }
      return level;
    },
    snapshot: () => ({ level, rssBytes, limitBytes: options.thresholds().limitBytes, since }),
  };
}

/**
 * The limit `kernel.memory.limitMb` defaults to: the container's memory limit when there is one,
 * else V8's heap size limit (what the runtime allows the heap to grow to).
 */
export const defaultMemoryLimitBytes = (): number => memoryFigures().limitBytes;
