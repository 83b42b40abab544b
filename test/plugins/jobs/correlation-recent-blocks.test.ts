import { describe, expect, it } from 'vitest';
import { createRecentBlocks } from '../../../plugins/jobs/correlation/recent-blocks.js';

const txid = (n: number) => n.toString(16).padStart(64, '0');
const block = (height: number) => ({ height, at: `at-${height}`, blockTime: `time-${height}` });
const txids = (from: number, n: number) => Array.from({ length: n }, (_, i) => txid(from + i));

describe('recently mined blocks (the correlation job)', () => {
  it('finds each transaction in the block that mined it', () => {
    const recent = createRecentBlocks(100);
    recent.add(block(1), txids(0, 10));
    recent.add(block(2), txids(10, 10));
    expect(recent.get(txid(3))).toEqual(block(1));
    expect(recent.get(txid(15))).toEqual(block(2));
    expect(recent.get(txid(25))).toBeUndefined();
    expect(recent.size()).toBe(20);
  });

  it('drops whole blocks, oldest first, once over capacity, and always keeps the newest', () => {
    const recent = createRecentBlocks(25);
    recent.add(block(1), txids(0, 10));
    recent.add(block(2), txids(10, 10));
    recent.add(block(3), txids(20, 10)); // 30 > 25: block 1 goes
    expect(recent.get(txid(0))).toBeUndefined();
    expect(recent.get(txid(10))).toEqual(block(2));
    expect(recent.size()).toBe(20);
    recent.add(block(4), txids(30, 40)); // alone over capacity: kept, everything older goes
    expect(recent.get(txid(25))).toBeUndefined();
    expect(recent.get(txid(69))).toEqual(block(4));
    expect(recent.size()).toBe(40);
  });

  it('answers the newest block for a transaction mined twice (a reorganisation), and ignores empty blocks', () => {
    const recent = createRecentBlocks(100);
    recent.add(block(7), [txid(1)]);
    recent.add(block(8), []);
    recent.add(block(9), [txid(1), txid(1)]);
    expect(recent.get(txid(1))).toEqual(block(9));
    expect(recent.size()).toBe(2);
  });
});
