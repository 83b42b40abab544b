import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createAbortScope } from '../../src/delivery/abort-scope.js';

describe('createAbortScope', () => {
  it('aborts every open call with the parent, with its reason', () => {
    const parent = new AbortController();
    const scope = createAbortScope(parent.signal);
    const a = scope.open();
    const b = scope.open();
    parent.abort(new Error('stopping'));
    expect(a.signal.aborted).toBe(true);
    expect(b.signal.aborted).toBe(true);
    expect((a.signal.reason as Error).message).toBe('stopping');
    expect(scope.size()).toBe(0);
  });

  it('gives an aborted signal once the parent is aborted', () => {
    const parent = new AbortController();
    const scope = createAbortScope(parent.signal);
    parent.abort();
    expect(scope.open().signal.aborted).toBe(true);
    expect(scope.size()).toBe(0);
  });

  it('leaves a released call alone', () => {
    const parent = new AbortController();
    const scope = createAbortScope(parent.signal);
    const done = scope.open();
    done.release();
    const running = scope.open();
    expect(scope.size()).toBe(1);
    parent.abort();
    expect(done.signal.aborted).toBe(false);
    expect(running.signal.aborted).toBe(true);
  });

  it('keeps one listener on the parent however many calls come and go', () => {
    const parent = new AbortController();
    const scope = createAbortScope(parent.signal);
    for (let i = 0; i < 1000; i++) {
      const call = scope.open();
      call.signal.addEventListener('abort', () => {});
      call.release();
    }
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    expect(scope.size()).toBe(0);
  });
});
