import { describe, expect, it } from 'vitest';
import { createMemoryPressure, nextLevel, type MemoryLevel } from '../../src/kernel/memory.js';

const T = { limitBytes: 1000, warningAt: 0.8, criticalAt: 0.9, recoverAt: 0.7 };

describe('memory pressure levels', () => {
  it('rises at once at warningAt and criticalAt', () => {
    expect(nextLevel('normal', 799, T)).toBe('normal');
    expect(nextLevel('normal', 800, T)).toBe('warning');
    expect(nextLevel('normal', 900, T)).toBe('critical');
    expect(nextLevel('warning', 900, T)).toBe('critical');
  });

  it('falls with hysteresis: critical eases to warning below warningAt, normal only below recoverAt', () => {
    expect(nextLevel('critical', 850, T)).toBe('critical'); // between warning and critical: stays
    expect(nextLevel('critical', 799, T)).toBe('warning');
    expect(nextLevel('critical', 699, T)).toBe('normal');
    expect(nextLevel('warning', 750, T)).toBe('warning'); // between recover and warning: stays
    expect(nextLevel('warning', 699, T)).toBe('normal');
    expect(nextLevel('normal', 750, T)).toBe('normal');
  });

  it('does not flap when RSS hovers around a threshold', () => {
    let level: MemoryLevel = 'normal';
    const seen: MemoryLevel[] = [];
    for (const rss of [790, 810, 795, 805, 790, 801, 760, 720, 701, 699, 705, 790]) {
      const next = nextLevel(level, rss, T);
      if (next !== level) seen.push(next);
      level = next;
    }
    expect(seen).toEqual(['warning', 'normal']);
  });
});

describe('createMemoryPressure', () => {
  it('tells each change once, in order, with the previous level; a throwing listener does not stop the others', () => {
    let rss = 100;
    const errors: unknown[] = [];
    const p = createMemoryPressure({
      thresholds: () => T,
      sample: () => rss,
      now: () => 42,
      onError: (e) => errors.push(e),
    });
    const told: string[] = [];
    p.onChange(() => {
      throw new Error('listener bug');
    });
    const off = p.onChange((level, previous) => told.push(`${previous}→${level}`));
    expect(p.check()).toBe('normal');
    rss = 950;
    p.check();
    p.check(); // no change: nothing told
    expect(p.snapshot()).toEqual({ level: 'critical', rssBytes: 950, limitBytes: 1000, since: 42 });
    rss = 750;
    p.check();
    rss = 100;
    p.check();
    expect(told).toEqual(['normal→critical', 'critical→warning', 'warning→normal']);
    expect(errors).toHaveLength(3);
    expect(p.snapshot().since).toBeNull();
    off();
    rss = 950;
    p.check();
    expect(told).toHaveLength(3);
  });

  it('the floor is the smallest declared one, and goes with its withdrawal', () => {
    const p = createMemoryPressure({ thresholds: () => T, sample: () => 0 });
    expect(p.floorSats()).toBeNull();
    const a = p.declareFloor(100e8);
    const b = p.declareFloor(50e8);
    expect(p.floorSats()).toBe(50e8);
    b();
    expect(p.floorSats()).toBe(100e8);
    a();
    expect(p.floorSats()).toBeNull();
  });

  it('the interest floor: the smallest floor of the readers when every one declared, else null', () => {
    const p = createMemoryPressure({ thresholds: () => T, sample: () => 0 });
    expect(p.interestFloorSats([])).toBeNull(); // no reader at all: nothing to decide on
    expect(p.interestFloorSats(['whales'])).toBeNull(); // a reader without a floor
    const whales = p.declareFloor(100e8, 'whales');
    p.declareFloor(Infinity, 'correlation'); // reads only what detectors admitted
    expect(p.interestFloorSats(['whales'])).toBe(100e8);
    expect(p.interestFloorSats(['whales', 'correlation'])).toBe(100e8);
    expect(p.interestFloorSats(['correlation'])).toBeNull(); // no finite floor: keep reading
    expect(p.interestFloorSats(['whales', 'correlation', 'embedder'])).toBeNull();
    p.declareFloor(50e8, 'big');
    expect(p.interestFloorSats(['whales', 'big'])).toBe(50e8);
    expect(p.interestFloorSats(['whales'])).toBe(100e8); // a floor of a non-reader does not count
    whales();
    expect(p.interestFloorSats(['whales', 'big'])).toBeNull();
    expect(p.floorSats()).toBe(50e8); // Infinity never is the shedding floor
  });

  it('reads the thresholds at each check (a reload applies at the next one)', () => {
    let t = T;
    const p = createMemoryPressure({ thresholds: () => t, sample: () => 850 });
    expect(p.check()).toBe('warning');
    t = { ...T, limitBytes: 10_000 };
    expect(p.check()).toBe('normal');
  });
});
