import { describe, expect, it } from 'vitest';
import type { ProjectedBlock } from '../../../src/bus/events.js';
import {
  BLOCK_VSIZE,
  blockByRate,
  placeTx,
  shareBelow,
  vsizeAhead,
} from '../../../plugins/detectors/urgency/placement.js';

const block = (feeRange: number[], vsize = 997_000): ProjectedBlock => ({
  feeRange,
  medianFee: feeRange[Math.floor(feeRange.length / 2)] as number,
  nTx: 2000,
  vsize,
});

// A full next block whose bottom (10 sat/vB) is tied with the top of the block after it.
const TIED = [block([10, 12, 15, 20, 30, 50, 200]), block([8, 8.5, 9, 9.5, 10, 10.2, 10.2])];
// A full next block and a second one entirely below it: the next block's bottom is a clean cut.
const CUT = [block([10, 12, 15, 20, 30, 50, 200]), block([8, 8.5, 9, 9.2, 9.5, 9.8, 9.9])];

describe('placement by the block space ahead', () => {
  it('counts a tie with a cluster of equal rates as ahead of the transaction', () => {
    expect(shareBelow(10, [10, 12, 15, 20, 30, 50, 200])).toBe(0);
    expect(shareBelow(10.2, [8, 8.5, 9, 9.5, 10, 10.2, 10.2])).toBeCloseTo(0.9);
    expect(shareBelow(201, [10, 12, 15, 20, 30, 50, 200])).toBe(1);
    expect(vsizeAhead(10, TIED[1] as ProjectedBlock)).toBeCloseTo(0.25 * 997_000);
  });

  it('puts a rate tied with the next block’s minimum in the block after when the second block holds higher rates', () => {
    // The old rule (rate ≥ the next block's minimum) said 1 for all of these.
    expect(blockByRate(10, 200, TIED)).toBe(2);
    expect(blockByRate(10.1, 200, TIED)).toBe(2);
    // Above everything the second block holds, only the next block's own richer share is ahead.
    expect(blockByRate(10.3, 200, TIED)).toBe(1);
    expect(blockByRate(11, 20_000, TIED)).toBe(1);
    // …unless it is too large for the room left at the bottom of the next block.
    expect(blockByRate(10.3, 20_000, TIED)).toBe(2);
  });

  it('lets a small transaction at the bottom fill the gap, and pushes a large one to the next block', () => {
    // 997,000 vB ahead (ties included): 1,000 vB of room are left.
    expect(blockByRate(10, 500, CUT)).toBe(1);
    expect(blockByRate(10, 5_000, CUT)).toBe(2);
    expect(blockByRate(9.95, 500, CUT)).toBe(1);
    expect(blockByRate(9.95, 5_000, CUT)).toBe(2);
    // Below the second block's minimum: the gap of the second block, or the one after.
    expect(blockByRate(7, 500, CUT)).toBe(2);
    expect(blockByRate(7, 5_000, CUT)).toBe(3);
  });

  it('puts even a low rate in the next block when that block is not full', () => {
    const quiet = [block([2, 3, 4, 5, 6, 8, 20], 300_000)];
    for (const rate of [1, 2.7, 4, 50]) expect(blockByRate(rate, 225, quiet)).toBe(1);
    expect(blockByRate(1, BLOCK_VSIZE - 300_000 + 1, quiet)).toBe(2);
    expect(blockByRate(5, 225, [])).toBe(1);
  });

  it('counts blocks deep inside a last block that stacks many (evenly spaced points)', () => {
    const stack = block([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 50_000_000);
    const blocks = [block([12, 13, 14, 15, 16, 18, 40]), stack];
    // 60% of 50 MvB pays more than 5 sat/vB: 30 blocks' worth behind the first.
    expect(blockByRate(5, 225, blocks)).toBe(2 + Math.floor((30_000_000 + 225) / BLOCK_VSIZE));
    expect(blockByRate(0.5, 225, blocks)).toBe(2 + Math.floor((50_000_000 + 225) / BLOCK_VSIZE));
  });

  it('never predicts a later block for a higher rate of the same size', () => {
    const sets = [TIED, CUT, [...CUT, block([5, 6, 7, 7.5, 8, 8.1, 9], 40_000_000)]];
    for (const blocks of sets)
      for (const vsize of [150, 2_000, 40_000]) {
        let previous = Infinity;
        for (let rate = 0; rate <= 250; rate += 0.05) {
          const b = blockByRate(rate, vsize, blocks);
          expect(b, `rate ${rate}, vsize ${vsize}`).toBeLessThanOrEqual(previous);
          previous = b;
        }
      }
  });
});

describe('placeTx', () => {
  it('uses the effective (package) rate when the input sent one, and says so', () => {
    // A low-fee parent pulled in by a high-fee child: its own rate says block 3.
    const parent = { feeRate: 2, vsize: 3_000, effectiveFeeRate: 40 };
    expect(placeTx(parent, CUT)).toEqual({ block: 1, rateUsed: 'effective', rate: 40, by: 'block-space' });
    const { effectiveFeeRate: _, ...own } = parent;
    expect(placeTx(own, CUT)).toEqual({ block: 3, rateUsed: 'own', rate: 2, by: 'block-space' });
    // A child whose package is poor does not ride on its own high rate.
    expect(placeTx({ feeRate: 60, vsize: 200, effectiveFeeRate: 9.9 }, TIED).block).toBe(2);
  });

  it('uses the server’s position when sent: its block index + 1, deeper inside a stack', () => {
    expect(placeTx({ feeRate: 2, vsize: 300, position: { block: 0, vsize: 110_880 } }, CUT)).toEqual({
      block: 1,
      rateUsed: 'own',
      rate: 2,
      by: 'position',
    });
    expect(placeTx({ feeRate: 90, vsize: 300, position: { block: 1, vsize: 5_000 } }, CUT).block).toBe(2);
    const stacked = [...CUT, block([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 20_000_000)];
    expect(placeTx({ feeRate: 5, vsize: 300, position: { block: 2, vsize: 3_500_000 } }, stacked).block).toBe(
      3 + 3,
    );
    // A regular block is one block however the offset reads.
    expect(placeTx({ feeRate: 5, vsize: 300, position: { block: 1, vsize: 1_200_000 } }, stacked).block).toBe(
      2,
    );
  });
});
