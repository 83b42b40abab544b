import { describe, expect, it } from 'vitest';
import type { MempoolStats, WhaleSignal } from '../../../src/bus/events.js';
import { feePercentile, predictBlocks, urgencyOf } from '../../../plugins/detectors/urgency/score.js';
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

describe.skipIf(!hasFixtures)('urgency against the real mempool-blocks of the 2024-03 init payload', () => {
  it('predicts 1 block at or above the first block’s minimum fee rate', () => {
    const stats = realStats();
    expect(stats.projectedBlocks[0]?.feeRange[0]).toBe(7);
    for (const rate of [7, 7.5, 12, 236, 1000])
      expect(urgencyOf(rate, stats, null)).toMatchObject({ predictedBlocks: 1, basis: 'projected-blocks' });
  });

  it('predicts 3 blocks between the third and the second blocks’ ranges', () => {
    const stats = realStats();
    const [, second, third] = stats.projectedBlocks;
    const rate = ((third?.feeRange[0] as number) + (second?.feeRange[0] as number)) / 2; // 6.15 … 6.19
    expect(rate).toBeLessThan(second?.feeRange[0] as number);
    expect(predictBlocks(rate, stats.projectedBlocks)).toBe(3);
    expect(urgencyOf(rate, stats, null).predictedBlocks).toBe(3);
  });

  it('never lowers the score as the fee rate grows (property over 20,000 rates)', () => {
    const stats = realStats();
    let previous = -1;
    let previousPercentile = -1;
    for (let i = 0; i <= 20_000; i++) {
      const rate = i < 10_000 ? i / 1000 : 10 + (i - 10_000) / 20; // dense where the blocks are, then up to 510
      const u = urgencyOf(rate, stats, null);
      const p = feePercentile(rate, stats.projectedBlocks);
      expect(u.score, `rate ${rate}`).toBeGreaterThanOrEqual(previous);
      expect(p).toBeGreaterThanOrEqual(previousPercentile);
      expect(u.score).toBeGreaterThanOrEqual(0);
      expect(u.score).toBeLessThanOrEqual(1);
      previous = u.score;
      previousPercentile = p;
    }
    expect(urgencyOf(0.5, stats, null)).toMatchObject({ level: 'low', congestion: 'extreme' });
    expect(urgencyOf(300, stats, null).level).toBe('critical');
  });
});

describe('urgency without live stats', () => {
  it('falls back to the static bands and says why in basis', () => {
    expect(urgencyOf(5, null, null)).toEqual({
      score: 0.15,
      level: 'low',
      predictedBlocks: 6,
      basis: 'static (no mempool stats yet)',
    });
    expect(urgencyOf(30, null, null)).toMatchObject({ score: 0.5, level: 'medium', predictedBlocks: 3 });
    expect(urgencyOf(80, null, null)).toMatchObject({ level: 'high', predictedBlocks: 1 });
    const stale = urgencyOf(
      30,
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
  });

  it('annotates whales in the detector chain, and a disabled urgency detector removes only its annotation', async () => {
    const item = {
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
      },
    };
    for (const enabled of [true, false]) {
      const run = await runYaml(
        `inputs:\n  feed: { use: replay, items: [${JSON.stringify(item)}] }\ndetectors:\n  whales: { use: whale }\n  urgency: { use: urgency, enabled: ${enabled} }\n`,
      );
      await waitFor(() => run.of('whale.detected').length === 1, 5000, 'whale.detected');
      const w = run.of('whale.detected')[0]?.data as WhaleSignal;
      expect(w.valueBtc).toBe(200);
      if (enabled)
        expect(w.urgency).toMatchObject({
          level: 'medium',
          predictedBlocks: 3,
          basis: 'static (no mempool stats yet)',
        });
      else expect(w.urgency).toBeUndefined();
      await run.stop();
    }
  });
});
