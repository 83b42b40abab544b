import { describe, expect, it } from 'vitest';
import type { MempoolStats, ProjectedBlock, UrgencyLevel, WhaleSignal } from '../../../src/bus/events.js';
import {
  feePercentile,
  levelOf,
  placementScore,
  urgencyOf,
} from '../../../plugins/detectors/urgency/score.js';
import { blockByRate } from '../../../plugins/detectors/urgency/placement.js';
import { etaOf } from '../../../plugins/detectors/urgency/eta.js';
import { parseProjectedBlocks } from '../../../plugins/inputs/mempool/stats.js';
import { hasFixtures, loadInitPayload } from '../../helpers/fixtures.js';
import { runYaml } from '../../helpers/run-yaml.js';
import { waitFor } from '../../helpers/fake-mempool.js';

function realStats(): MempoolStats {
  const init = loadInitPayload();
  return {
    projectedBlocks: parseProjectedBlocks(init['mempool-blocks']) ?? [],
    recommendedFees: null,
    mempoolVsize: 175_691_391,
    usdPrice: 69_880,
  };
}

/** A plain 225 vB transaction paying `rate`. */
const tx = (rate: number) => ({ feeRate: rate, vsize: 225 });

/** The levels that agree with a predicted block (as the correlation job grades them). */
const LEVELS_FOR = (blocks: number): UrgencyLevel[] =>
  blocks <= 1 ? ['high', 'critical'] : blocks <= 3 ? ['medium'] : ['low'];

describe.skipIf(!hasFixtures)('urgency against the real mempool-blocks of the 2024-03 init payload', () => {
  it('predicts the next block above the tie at its minimum, and the block after for the tie itself', () => {
    const stats = realStats();
    const [first, second] = stats.projectedBlocks;
    expect(first?.feeRange[0]).toBe(7);
    expect(second?.feeRange.at(-1)).toBeCloseTo(7.0056, 4); // the second block tops out above 7
    for (const rate of [7.01, 7.5, 12, 236, 1000])
      expect(urgencyOf(tx(rate), stats, null)).toMatchObject({
        predictedBlocks: 1,
        basis: 'projected-blocks',
      });
    // Changed: at 7.00 (the minimum) the second block's top (7.0051–7.0056) ranks ahead of it.
    expect(urgencyOf(tx(7), stats, null).predictedBlocks).toBe(2);
  });

  it('predicts 3 blocks between the third and the second blocks’ ranges', () => {
    const stats = realStats();
    const [, second, third] = stats.projectedBlocks;
    const rate = ((third?.feeRange[0] as number) + (second?.feeRange[0] as number)) / 2; // 6.15 … 6.19
    expect(rate).toBeLessThan(second?.feeRange[0] as number);
    expect(blockByRate(rate, 225, stats.projectedBlocks)).toBe(3);
    expect(urgencyOf(tx(rate), stats, null).predictedBlocks).toBe(3);
  });

  it('never lowers the score as the fee rate grows, and the level always agrees with the predicted block (20,000 rates)', () => {
    const stats = realStats();
    let previous = -1;
    let previousPercentile = -1;
    for (let i = 0; i <= 20_000; i++) {
      const rate = i < 10_000 ? i / 1000 : 10 + (i - 10_000) / 20; // dense where the blocks are, then up to 510
      const u = urgencyOf(tx(rate), stats, null);
      const p = feePercentile(rate, stats.projectedBlocks);
      expect(u.score, `rate ${rate}`).toBeGreaterThanOrEqual(previous);
      expect(p).toBeGreaterThanOrEqual(previousPercentile);
      expect(u.score).toBeGreaterThanOrEqual(0);
      expect(u.score).toBeLessThanOrEqual(1);
      expect(LEVELS_FOR(u.predictedBlocks), `rate ${rate}`).toContain(u.level);
      expect(u.level).toBe(levelOf(u.score));
      previous = u.score;
      previousPercentile = p;
    }
    expect(urgencyOf(tx(0.5), stats, null)).toMatchObject({ level: 'low', congestion: 'extreme' });
    expect(urgencyOf(tx(300), stats, null).level).toBe('critical');
  });
});

const quiet: MempoolStats = {
  projectedBlocks: [{ feeRange: [1, 2, 2.5, 3, 4, 6, 40], medianFee: 3, nTx: 900, vsize: 300_000 }],
  recommendedFees: null,
  mempoolVsize: 300_000,
  blockIntervalMinutes: 8,
};

describe('the level follows the prediction when live blocks exist', () => {
  it('calls a low fee that still makes the next block of a quiet mempool high, not low', () => {
    // The demo used to say "urgency low (~1 block)" at 2.7 sat/vB.
    const u = urgencyOf(tx(2.7), quiet, null);
    expect(u).toMatchObject({ predictedBlocks: 1, level: 'high', rateUsed: 'own', rate: 2.7 });
    expect(u.score).toBeGreaterThanOrEqual(0.7);
    expect(urgencyOf(tx(1), quiet, null).level).toBe('high');
    expect(urgencyOf(tx(39), quiet, null).level).toBe('critical');
  });

  it('caps a transaction the server places far back at low, whatever its fee percentile', () => {
    const far = urgencyOf({ ...tx(40), position: { block: 5, vsize: 1000 } }, quiet, null);
    expect(far).toMatchObject({ predictedBlocks: 6, level: 'low', basis: 'projected-position' });
    const third = urgencyOf({ ...tx(40), position: { block: 2, vsize: 1000 } }, quiet, null);
    expect(third).toMatchObject({ predictedBlocks: 3, level: 'medium' });
  });

  it('scores inside the band of the predicted block, by fee percentile', () => {
    expect(placementScore(1, 0)).toBe(0.7);
    expect(placementScore(1, 0.9)).toBe(0.95);
    expect(placementScore(1, 1)).toBe(1);
    expect(placementScore(2, 0)).toBe(0.3);
    expect(placementScore(3, 1)).toBeLessThan(0.7);
    expect(placementScore(4, 1)).toBeLessThan(0.3);
    for (const block of [1, 2, 3, 4, 9])
      for (let p = 0; p <= 1; p += 0.01) {
        expect(LEVELS_FOR(block)).toContain(levelOf(Math.round(placementScore(block, p) * 1000) / 1000));
        expect(placementScore(block, p + 0.01)).toBeGreaterThanOrEqual(placementScore(block, p));
      }
  });

  it('uses the effective (package) rate when the input sent one', () => {
    const full: ProjectedBlock[] = [
      { feeRange: [10, 12, 15, 20, 30, 50, 200], medianFee: 20, nTx: 2000, vsize: 998_000 },
      { feeRange: [8, 8.5, 9, 9.2, 9.5, 9.8, 9.9], medianFee: 9.2, nTx: 2000, vsize: 998_000 },
    ];
    const stats = { ...quiet, projectedBlocks: full, mempoolVsize: 1_996_000 };
    const parent = urgencyOf({ feeRate: 2, vsize: 3_000, effectiveFeeRate: 45.678_9 }, stats, null);
    expect(parent).toMatchObject({ predictedBlocks: 1, rateUsed: 'effective', rate: 45.679 });
    expect(urgencyOf({ feeRate: 2, vsize: 3_000 }, stats, null)).toMatchObject({
      predictedBlocks: 3,
      level: 'medium',
      rateUsed: 'own',
    });
  });
});

describe('urgency without live stats', () => {
  it('falls back to the static bands and says why in basis', () => {
    expect(urgencyOf(tx(5), null, null)).toEqual({
      score: 0.15,
      level: 'low',
      predictedBlocks: 6,
      basis: 'static (no mempool stats yet)',
      rateUsed: 'own',
      rate: 5,
    });
    expect(urgencyOf(tx(30), null, null)).toMatchObject({ score: 0.5, level: 'medium', predictedBlocks: 3 });
    expect(urgencyOf(tx(80), null, null)).toMatchObject({ level: 'high', predictedBlocks: 1 });
    expect(urgencyOf({ ...tx(5), effectiveFeeRate: 80 }, null, null)).toMatchObject({
      level: 'high',
      rateUsed: 'effective',
      rate: 80,
    });
    const stale = urgencyOf(
      tx(30),
      {
        projectedBlocks: [{ feeRange: [1, 2, 3, 4, 5, 6, 7], medianFee: 4, nTx: 10, vsize: 1e6 }],
        recommendedFees: null,
        mempoolVsize: 20e6,
      },
      'mempool stats 400 s old',
    );
    expect(stale).toMatchObject({
      basis: 'static (mempool stats 400 s old)',
      congestion: 'medium',
      score: 0.5,
    });
    expect(urgencyOf(tx(30), { ...quiet, projectedBlocks: [] }, null).basis).toBe(
      'static (no projected blocks)',
    );
  });
});

const whale = (extra: Record<string, unknown> = {}) => ({
  type: 'tx.seen',
  data: {
    txid: 'f'.repeat(64),
    valueSats: 200e8,
    feeSats: 4500,
    vsize: 225,
    feeRate: 20,
    inputs: [],
    outputs: [],
    rbfSignaling: false,
    firstSeen: '2026-11-21T10:00:00.000Z',
    ...extra,
  },
});

async function detect(items: unknown[], enabled = true): Promise<WhaleSignal> {
  const run = await runYaml(
    `inputs:\n  feed: { use: replay, items: ${JSON.stringify(items)} }\ndetectors:\n  whales: { use: whale }\n  urgency: { use: urgency, enabled: ${enabled} }\n`,
  );
  await waitFor(() => run.of('whale.detected').length === 1, 5000, 'whale.detected');
  const w = run.of('whale.detected')[0]?.data as WhaleSignal;
  await run.stop();
  return w;
}

describe('the urgency detector in the chain', () => {
  it('annotates whales with urgency and an ETA, and a disabled urgency detector removes only its annotations', async () => {
    const on = await detect([whale()]);
    expect(on.valueBtc).toBe(200);
    expect(on.urgency).toMatchObject({
      level: 'medium',
      predictedBlocks: 3,
      basis: 'static (no mempool stats yet)',
    });
    expect(on.eta).toEqual(etaOf(3, 10));
    const off = await detect([whale()], false);
    expect(off.valueBtc).toBe(200);
    expect(off.urgency).toBeUndefined();
    expect(off.eta).toBeUndefined();
  });

  it('predicts from the latest stats and times the ETA with their mean block interval', async () => {
    const w = await detect([{ type: 'mempool.stats', data: quiet }, whale({ feeRate: 2.7, feeSats: 608 })]);
    expect(w.urgency).toMatchObject({
      predictedBlocks: 1,
      level: 'high',
      basis: 'projected-blocks',
      rate: 2.7,
    });
    expect(w.eta).toEqual({ blocks: 1, p10Minutes: 0.8, p50Minutes: 5.5, p90Minutes: 18.4 });
    const placed = await detect([
      { type: 'mempool.stats', data: { ...quiet, blockIntervalMinutes: undefined } },
      whale({ effectiveFeeRate: 3.5, position: { block: 1, vsize: 12_000 } }),
    ]);
    expect(placed.urgency).toMatchObject({
      predictedBlocks: 2,
      rateUsed: 'effective',
      basis: 'projected-position',
    });
    expect(placed.eta).toEqual(etaOf(2, 10));
  });
});
