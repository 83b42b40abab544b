import { describe, expect, it } from 'vitest';
import { createLru } from '../../src/index.js';

// Issue 17, idle memory: the plugins' caches allocate as they fill (lru-cache with `max` allocated
// its whole index at once), with the same bound.

describe('createLru', () => {
  it('holds at most its capacity, forgetting the least recently used first', () => {
    const cache = createLru<string, number>(3);
    for (const [i, k] of ['a', 'b', 'c'].entries()) cache.set(k, i);
    expect(cache.get('a')).toBe(0); // a is now the most recent
    cache.set('d', 3);
    expect([...cache.keys()]).toEqual(['d', 'a', 'c']);
    expect(cache.has('b')).toBe(false);
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(3);
    expect(cache.calculatedSize).toBe(3);
  });

  it('a capacity below 1 still keeps the latest entry (never unbounded)', () => {
    const cache = createLru<string, true>(0);
    cache.set('a', true);
    cache.set('b', true);
    expect([...cache.keys()]).toEqual(['b']);
  });
});
