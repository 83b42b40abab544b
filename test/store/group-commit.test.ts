import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/store/group-commit.js';

// The group commit both store adapters write through: a burst of changes is one write, the
// newest change of a key wins, a failed write keeps its changes and (with retryMs) tries again
// by itself, telling the failure once.

describe('group commit', () => {
  it('a burst of flushes while a write is under way shares the next write; newest change of a key wins', async () => {
    const writes: string[][] = [];
    let release: () => void = () => {};
    const commit = createGroupCommit<string>({
      delayMs: 1000,
      write: async (ops) => {
        writes.push(ops);
        if (writes.length === 1) await new Promise<void>((r) => (release = r));
      },
    });
    commit.change('a', 'a1');
    const first = commit.flush();
    while (writes.length === 0) await Promise.resolve(); // the first write is under way
    commit.change('b', 'b1');
    commit.change('c', 'c1');
    commit.change('b', 'b2');
    const burst = [commit.flush(), commit.flush(), commit.flush()];
    release();
    await Promise.all([first, ...burst]);
    expect(writes).toEqual([['a1'], ['b2', 'c1']]);
    commit.stop();
  });

  it('a failed write keeps its changes and, with retryMs, writes them by itself once it can; the failure is told once', async () => {
    let failures = 2;
    const written: string[][] = [];
    const errors: unknown[] = [];
    let done: () => void = () => {};
    const recovered = new Promise<void>((r) => (done = r));
    const commit = createGroupCommit<string>({
      delayMs: 1,
      retryMs: 5,
      write: async (ops) => {
        if (failures-- > 0) throw new Error('down');
        written.push(ops);
        done();
      },
      onError: (e) => errors.push(e),
    });
    commit.change('a', 'a1');
    await recovered;
    expect(written).toEqual([['a1']]);
    expect(errors).toHaveLength(1);
    commit.stop();
  });

  it('changes a failed write must not keep (keep → false) are dropped', async () => {
    const commit = createGroupCommit<string>({
      delayMs: 1000,
      keep: () => false,
      write: async () => {
        throw new Error('fenced');
      },
    });
    commit.change('a', 'a1');
    await expect(commit.flush()).rejects.toThrow('fenced');
    await expect(commit.flush()).rejects.toThrow('fenced'); // the last write's outcome, nothing new
    commit.stop();
  });
});
