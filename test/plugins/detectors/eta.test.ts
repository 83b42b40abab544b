import { describe, expect, it } from 'vitest';
import { DEFAULT_BLOCK_INTERVAL_MINUTES, etaOf } from '../../../plugins/detectors/urgency/eta.js';
import { etaText } from '../../../src/delivery/eta-text.js';

const round1 = (x: number) => Math.round(x * 10) / 10;

describe('etaOf: Gamma(blocks, interval) quantiles in minutes', () => {
  it('is the exponential for the next block: median interval × ln 2, 10–90% from −ln 0.9 to ln 10', () => {
    for (const m of [10, 9.579, 6, 14.25]) {
      expect(etaOf(1, m)).toEqual({
        blocks: 1,
        p10Minutes: round1(-m * Math.log(0.9)),
        p50Minutes: round1(m * Math.LN2),
        p90Minutes: round1(m * Math.LN10),
      });
    }
    expect(etaOf(1)).toEqual({ blocks: 1, p10Minutes: 1.1, p50Minutes: 6.9, p90Minutes: 23 });
  });

  it('matches Gamma(2) and Gamma(6) quantiles (scale 10)', () => {
    // Gamma(2, θ): P(T ≤ t) = 1 − e^(−t/θ)(1 + t/θ); the quantiles below solve it.
    const cdf2 = (t: number) => 1 - Math.exp(-t / 10) * (1 + t / 10);
    const eta = etaOf(2, 10);
    expect(eta).toEqual({ blocks: 2, p10Minutes: 5.3, p50Minutes: 16.8, p90Minutes: 38.9 });
    expect(cdf2(eta.p10Minutes)).toBeCloseTo(0.1, 2);
    expect(cdf2(eta.p50Minutes)).toBeCloseTo(0.5, 2);
    expect(cdf2(eta.p90Minutes)).toBeCloseTo(0.9, 2);
    expect(etaOf(6, 10)).toEqual({ blocks: 6, p10Minutes: 31.5, p50Minutes: 56.7, p90Minutes: 92.7 });
  });

  it('grows with the number of blocks and with the interval, with p10 < p50 < p90', () => {
    let previous = etaOf(1, 10);
    for (let k = 2; k <= 200; k++) {
      const eta = etaOf(k, 10);
      expect(eta.p10Minutes).toBeGreaterThan(previous.p10Minutes);
      expect(eta.p50Minutes).toBeGreaterThan(previous.p50Minutes);
      expect(eta.p90Minutes).toBeGreaterThan(previous.p90Minutes);
      expect(eta.p10Minutes).toBeLessThan(eta.p50Minutes);
      expect(eta.p50Minutes).toBeLessThan(eta.p90Minutes);
      // The median of Gamma(k) sits just under its mean k × interval.
      expect(eta.p50Minutes).toBeLessThan(k * 10);
      expect(eta.p50Minutes).toBeGreaterThan(k * 10 - 4);
      previous = eta;
    }
    expect(etaOf(3, 12).p50Minutes).toBeGreaterThan(etaOf(3, 10).p50Minutes);
    expect(etaOf(3, 8).p50Minutes).toBeLessThan(etaOf(3, 10).p50Minutes);
  });

  it('assumes 10 minutes for a missing or impossible interval, and at least one whole block', () => {
    expect(DEFAULT_BLOCK_INTERVAL_MINUTES).toBe(10);
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(etaOf(2, bad)).toEqual(etaOf(2, 10));
    expect(etaOf(0, 10)).toEqual(etaOf(1, 10));
    expect(etaOf(2.4, 10)).toEqual(etaOf(2, 10));
  });
});

describe('etaText', () => {
  it('says which block, the median and the 10–90% range', () => {
    expect(etaText(etaOf(1, 10))).toBe('next block: ~7 min (1–23 min)');
    expect(etaText(etaOf(2, 10))).toBe('~2 blocks: ~17 min (5–39 min)');
    expect(etaText(etaOf(6, 10))).toBe('~6 blocks: ~57 min (32–93 min)');
  });

  it('switches to hours, for all three figures, once the 90% bound reaches two hours', () => {
    expect(etaText(etaOf(20, 10))).toBe('~20 blocks: ~3.3 h (2.4–4.3 h)');
    expect(etaText(etaOf(150, 10))).toBe('~150 blocks: ~25 h (22–28 h)');
    expect(etaText({ blocks: 9, p10Minutes: 60, p50Minutes: 90, p90Minutes: 119.4 })).toBe(
      '~9 blocks: ~90 min (60–119 min)',
    );
  });

  it('shows a bound under half a minute as <1', () => {
    expect(etaText(etaOf(1, 2))).toBe('next block: ~1 min (<1–5 min)');
  });
});
