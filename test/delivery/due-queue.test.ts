import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDueQueue, type DueQueueOptions } from '../../src/delivery/due-queue.js';
import { createDueHeap } from '../../src/delivery/due-heap.js';

// Fake setTimeout and Date from a fixed epoch: the queue's clock and its one timer move only by hand.
const T0 = 1_000_000;

interface Gate {
  promise: Promise<void>;
  open(): void;
  fail(error: unknown): void;
}

function gate(): Gate {
  let open!: () => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<void>((resolve, reject) => ((open = resolve), (fail = reject)));
  return { promise, open, fail };
}

/**
 * A queue whose tasks record their key and wait for the test to settle them (`held`), unless
 * `instant`; each task deletes its key first, as a worker does when it is done with it.
 */
function harness(options: Partial<DueQueueOptions> & { instant?: boolean } = {}) {
  const started: string[] = [];
  const held = new Map<string, Gate>();
  const errors: Array<[unknown, string]> = [];
  let running = 0;
  let most = 0;
  const queue = createDueQueue({
    concurrency: 1,
    run: async (key) => {
      started.push(key);
      queue.delete(key);
      running++;
      most = Math.max(most, running);
      try {
        if (options.instant) return;
        const g = gate();
        held.set(key, g);
        await g.promise;
      } finally {
        running--;
      }
    },
    onError: (error, key) => void errors.push([error, key]),
    ...options,
  });
  return { queue, started, held, errors, most: () => most };
}

/** Let every settled task's continuations (and the pumps they make) run. */
const drain = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('due queue: order', () => {
  it('runs due keys earliest due time first, whatever the order they were set in', async () => {
    const h = harness({ instant: true });
    h.queue.set('c', T0 - 100);
    h.queue.set('a', T0 - 300);
    h.queue.set('b', T0 - 200);
    h.queue.start();
    await drain();
    expect(h.started).toEqual(['a', 'b', 'c']);
  });

  it('breaks equal due times by the order keys were added; setting a key again keeps its place', async () => {
    const h = harness({ instant: true });
    h.queue.set('x', T0);
    h.queue.set('y', T0);
    h.queue.set('z', T0);
    h.queue.set('x', T0); // moved to the same time: still first
    h.queue.delete('y');
    h.queue.set('y', T0); // deleted and set again: last
    h.queue.start();
    await drain();
    expect(h.started).toEqual(['x', 'z', 'y']);
  });

  it('orders by readyAt (a worker’s pacing) instead of the due time when given', async () => {
    const paced = new Set(['early']);
    const h = harness({ instant: true, readyAt: (key, due) => (paced.has(key) ? T0 + 50 : due) });
    h.queue.set('early', T0 - 500);
    h.queue.set('late', T0 - 10);
    h.queue.start();
    await drain();
    expect(h.started).toEqual(['late']);
    await vi.advanceTimersByTimeAsync(49);
    expect(h.started).toEqual(['late']);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.started).toEqual(['late', 'early']);
  });

  it('finds due keys through its heap in the order a scan of every key gives (random sets, moves, deletes, time)', async () => {
    for (let round = 0; round < 20; round++) {
      let seed = round + 1;
      const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
      const heap = harness({ instant: true, concurrency: 3 });
      const scan = harness({ instant: true, concurrency: 3, readyAt: (_key, due) => due });
      for (const h of [heap, scan]) h.queue.start();
      const ops: Array<() => Promise<void>> = [];
      for (let i = 0; i < 200; i++) {
        const key = `k${Math.floor(random() * 40)}`;
        const r = random();
        const due = T0 + Math.floor(random() * 50) * 10;
        if (r < 0.6) ops.push(async () => [heap, scan].forEach((h) => h.queue.set(key, due)));
        else if (r < 0.75) ops.push(async () => void [heap, scan].forEach((h) => h.queue.delete(key)));
        else if (r < 0.9) ops.push(async () => [heap, scan].forEach((h) => h.queue.pump()));
        else ops.push(async () => void (await vi.advanceTimersByTimeAsync(Math.floor(random() * 100))));
      }
      for (const op of ops) await op();
      await vi.advanceTimersByTimeAsync(1000);
      expect(heap.started).toEqual(scan.started);
      expect(heap.started.length).toBeGreaterThan(20);
    }
  });

  it('matches the scan when tasks leave their key queued, set it again or delete it (a taken key comes back)', async () => {
    for (let round = 0; round < 20; round++) {
      let seed = round + 7;
      const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
      // Each harness decides alike from its own count of starts: leave the key (due again at
      // once, at most twice a key), set it later, or delete it.
      const make = (readyAt?: DueQueueOptions['readyAt']) => {
        const started: string[] = [];
        const runs = new Map<string, number>();
        const queue: ReturnType<typeof createDueQueue> = createDueQueue({
          concurrency: 2,
          run: async (key) => {
            started.push(key);
            const n = (runs.get(key) ?? 0) + 1;
            runs.set(key, n);
            await Promise.resolve();
            const pick = started.length % 3;
            if (pick === 0 && n <= 2) return;
            if (pick === 1) queue.set(key, Date.now() + (started.length % 5) * 10);
            else queue.delete(key);
          },
          onError: (error) => {
            throw error;
          },
          ...(readyAt ? { readyAt } : {}),
        });
        queue.start();
        return { queue, started };
      };
      const heap = make();
      const scan = make((_key, due) => due);
      for (let i = 0; i < 150; i++) {
        const key = `k${Math.floor(random() * 30)}`;
        const r = random();
        const due = T0 + Math.floor(random() * 30) * 10;
        if (r < 0.6) [heap, scan].forEach((h) => h.queue.set(key, due));
        else if (r < 0.7) [heap, scan].forEach((h) => h.queue.delete(key));
        else if (r < 0.85) [heap, scan].forEach((h) => h.queue.pump());
        else await vi.advanceTimersByTimeAsync(Math.floor(random() * 60));
      }
      await vi.advanceTimersByTimeAsync(2000);
      expect(heap.started).toEqual(scan.started);
      expect(heap.started.length).toBeGreaterThan(30);
      expect(heap.queue.size()).toBe(scan.queue.size());
    }
  });

  it('offers a taken key again only once restored or set again, at its time and place', () => {
    const heap = createDueHeap();
    heap.set('a', T0);
    heap.set('b', T0);
    heap.set('c', T0 + 10);
    expect(heap.take(T0, 1, () => false)).toEqual({ ready: ['a'], next: Infinity });
    // Taken: not offered again while its task runs, without being asked about on each take.
    const asked: string[] = [];
    expect(heap.take(T0 + 10, 5, (k) => (asked.push(k), false)).ready).toEqual(['b', 'c']);
    expect(asked).toEqual(['b', 'c']);
    heap.restore('a');
    heap.restore('b');
    heap.restore('c');
    // Restored at their due times and first places: a before b before c.
    expect(heap.take(T0 + 10, 5, () => false).ready).toEqual(['a', 'b', 'c']);
    heap.set('a', T0 + 5);
    heap.delete('b');
    heap.restore('b');
    heap.restore('a');
    expect(heap.take(T0 + 10, 5, () => false).ready).toEqual(['a']);
  });

  it('its heap stays as large as what is queued when keys are moved again and again', () => {
    const heap = createDueHeap();
    for (let round = 0; round < 1000; round++)
      for (let k = 0; k < 10; k++) heap.set(`k${k}`, T0 + 1000 - round - k);
    heap.delete('k3');
    const { ready, next } = heap.take(T0 + 1000, 20, () => false);
    expect(ready).toEqual(['k9', 'k8', 'k7', 'k6', 'k5', 'k4', 'k2', 'k1', 'k0']);
    expect(next).toBe(Infinity);
    expect(heap.size()).toBeLessThan(1100);
  });

  it('starts nothing before start', async () => {
    const h = harness({ instant: true });
    h.queue.set('a', T0 - 1);
    h.queue.pump();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.started).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    h.queue.start();
    await drain();
    expect(h.started).toEqual(['a']);
  });
});

describe('due queue: one timer', () => {
  it('arms a single timer, for the earliest key not yet due, and re-arms it for the next', async () => {
    const h = harness({ instant: true });
    h.queue.set('later', T0 + 500);
    h.queue.set('sooner', T0 + 100);
    h.queue.start();
    expect(h.started).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(h.started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.started).toEqual(['sooner']);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(399);
    expect(h.started).toEqual(['sooner']);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.started).toEqual(['sooner', 'later']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps the armed time when an earlier key is only set: set starts nothing, the next pump does', async () => {
    const h = harness({ instant: true });
    h.queue.set('late', T0 + 1000);
    h.queue.start();
    h.queue.set('early', T0 + 100);
    await vi.advanceTimersByTimeAsync(100);
    expect(h.started).toEqual([]);
    h.queue.pump();
    expect(h.started).toEqual(['early']);
  });

  it('re-arms the timer for an earlier key added and pumped', async () => {
    const h = harness({ instant: true });
    h.queue.set('late', T0 + 1000);
    h.queue.start();
    h.queue.set('early', T0 + 100);
    h.queue.pump();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(h.started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.started).toEqual(['early']);
    await vi.advanceTimersByTimeAsync(900);
    expect(h.started).toEqual(['early', 'late']);
  });

  it('unrefs its timer, so a far due time never keeps the process alive', () => {
    const h = harness({ instant: true });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    h.queue.set('a', T0 + 1000);
    h.queue.start();
    const timer = spy.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    spy.mockRestore();
  });

  it('caps a far due time at the longest Node timer and checks again when it fires', async () => {
    const h = harness({ instant: true });
    const max = 2 ** 31 - 1;
    const spy = vi.spyOn(globalThis, 'setTimeout');
    h.queue.set('far', T0 + max + 1000);
    h.queue.start();
    await vi.advanceTimersByTimeAsync(max);
    expect(h.started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.started).toEqual(['far']);
    expect(spy.mock.calls.map((c) => c[1])).toEqual([max, 1000]);
    spy.mockRestore();
  });
});

describe('due queue: concurrency', () => {
  it('never runs more than `concurrency` tasks; a settled one frees its slot for the next due key', async () => {
    const h = harness({ concurrency: 2 });
    for (const k of ['a', 'b', 'c', 'd']) h.queue.set(k, T0);
    h.queue.start();
    expect(h.started).toEqual(['a', 'b']);
    expect(h.queue.inFlight()).toBe(2);
    h.held.get('b')!.open();
    await drain();
    expect(h.started).toEqual(['a', 'b', 'c']);
    h.held.get('a')!.open();
    h.held.get('c')!.open();
    await drain();
    h.held.get('d')!.open();
    await drain();
    expect(h.started).toEqual(['a', 'b', 'c', 'd']);
    expect(h.most()).toBe(2);
    expect(h.queue.inFlight()).toBe(0);
  });

  it('arms no timer while every slot is busy; the next task to settle arms it', async () => {
    const h = harness();
    h.queue.set('now', T0);
    h.queue.set('soon', T0 + 100);
    h.queue.start();
    expect(h.started).toEqual(['now']);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(h.started).toEqual(['now']);
    h.held.get('now')!.open();
    await drain();
    expect(h.started).toEqual(['now', 'soon']);
  });

  it('never runs a key twice at once: a running key left queued waits, even for a pump from inside it', async () => {
    const runs: string[] = [];
    const g = gate();
    const queue = createDueQueue({
      concurrency: 3,
      run: async (key) => {
        runs.push(key);
        queue.pump();
        await g.promise;
        queue.delete(key);
      },
      onError: () => {},
    });
    queue.set('k', T0);
    queue.start();
    queue.pump();
    await drain();
    expect(runs).toEqual(['k']);
    expect(queue.running('k')).toBe(true);
    expect(queue.has('k')).toBe(true);
    g.open();
    await drain();
    expect(runs).toEqual(['k']);
    expect(queue.running('k')).toBe(false);
    expect(queue.size()).toBe(0);
  });

  it('runs a key taken by a pump that a pump from inside a task filled the slots before', async () => {
    const runs: string[] = [];
    const g = gate();
    const queue = createDueQueue({
      concurrency: 2,
      run: async (key) => {
        runs.push(key);
        queue.delete(key);
        // a's synchronous part pumps: c takes the second slot before the outer pump starts b.
        if (key === 'a') (queue.set('c', T0 - 1), queue.pump());
        await g.promise;
      },
      onError: () => {},
    });
    queue.set('a', T0);
    queue.set('b', T0);
    queue.start();
    expect(runs).toEqual(['a', 'c']);
    g.open();
    await drain();
    expect(runs).toEqual(['a', 'c', 'b']);
    expect(queue.size()).toBe(0);
  });
});

describe('due queue: failures', () => {
  it('reports a throwing or rejecting task to onError, frees its slot and goes on with the others', async () => {
    const boom = new Error('boom');
    const order: string[] = [];
    const queue = createDueQueue({
      concurrency: 1,
      run: (key) => {
        order.push(key);
        queue.delete(key);
        if (key === 'sync') throw boom;
        return key === 'async' ? Promise.reject(boom) : Promise.resolve();
      },
      onError: (error, key) => void order.push(`error ${key} ${(error as Error).message}`),
      onSettled: (key) => void order.push(`settled ${key}`),
    });
    queue.set('sync', T0 - 3);
    queue.set('async', T0 - 2);
    queue.set('fine', T0 - 1);
    queue.start();
    await drain();
    expect(order).toEqual([
      'sync',
      'error sync boom',
      'settled sync',
      'async',
      'error async boom',
      'settled async',
      'fine',
      'settled fine',
    ]);
    expect(queue.inFlight()).toBe(0);
  });

  it('leaves the key of a failed task where the task left it: still due, it runs again', async () => {
    let calls = 0;
    const errors: string[] = [];
    const queue = createDueQueue({
      concurrency: 1,
      run: async (key) => {
        if (++calls === 3) return void queue.set(key, Date.now() + 1000);
        throw new Error(`try ${calls}`);
      },
      onError: (error) => void errors.push((error as Error).message),
    });
    queue.set('k', T0);
    queue.start();
    await drain();
    expect(errors).toEqual(['try 1', 'try 2']);
    expect(calls).toBe(3);
    expect(queue.has('k')).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
  });
});

describe('due queue: clear, stop and flush', () => {
  it('clear forgets every key, returns them and disarms the timer; a running task goes on', async () => {
    const h = harness({ concurrency: 2 });
    h.queue.set('run', T0);
    h.queue.set('wait', T0 + 100);
    h.queue.start();
    expect(vi.getTimerCount()).toBe(1);
    expect(h.queue.clear()).toEqual(['wait']);
    expect(vi.getTimerCount()).toBe(0);
    expect(h.queue.running('run')).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.started).toEqual(['run']);
  });

  it('stop disarms the timer and starts nothing again, whatever is set, pumped or started', async () => {
    const h = harness({ instant: true });
    h.queue.set('soon', T0 + 100);
    h.queue.start();
    h.queue.stop();
    expect(vi.getTimerCount()).toBe(0);
    h.queue.set('now', T0);
    h.queue.pump();
    h.queue.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.started).toEqual([]);
    expect(h.queue.size()).toBe(2);
  });

  it('stop lets running tasks finish; flush waits for exactly those, never rejecting', async () => {
    const h = harness({ concurrency: 2 });
    h.queue.set('a', T0);
    h.queue.set('b', T0);
    h.queue.start();
    h.queue.stop();
    let flushed = false;
    const flushing = h.queue.flush().then(() => (flushed = true));
    h.held.get('a')!.open();
    await drain();
    expect(flushed).toBe(false);
    expect(h.queue.inFlight()).toBe(1);
    h.held.get('b')!.fail(new Error('late failure'));
    await flushing;
    expect(h.queue.inFlight()).toBe(0);
    expect(h.errors.map(([e, k]) => [(e as Error).message, k])).toEqual([['late failure', 'b']]);
  });

  it('flush resolves at once when nothing runs, and does not wait for tasks started after it', async () => {
    const h = harness();
    let first = false;
    void h.queue.flush().then(() => (first = true));
    await drain();
    expect(first).toBe(true);

    h.queue.set('a', T0);
    h.queue.set('b', T0);
    h.queue.start();
    let second = false;
    void h.queue.flush().then(() => (second = true));
    h.held.get('a')!.open();
    await drain();
    expect(h.started).toEqual(['a', 'b']);
    expect(second).toBe(true);
    expect(h.queue.running('b')).toBe(true);
    h.held.get('b')!.open();
    await drain();
  });
});
