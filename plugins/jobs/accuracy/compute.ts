import type { OutcomeRecord } from '../../../src/index.js';

/** What one accuracy run measured over its window. */
export interface AccuracyFigures {
  /** Settled predictions in the window that carry a score (`unknown` outcomes do not count). */
  sample: number;
  /** Mean score, 0–1, rounded to 4 decimals; null when the sample is empty. */
  accuracy: number | null;
  /** Share of the sample that was replaced or dropped, rounded to 4 decimals; null when empty. */
  falsePositiveRate: number | null;
  confirmed: number;
  replaced: number;
  dropped: number;
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/**
 * Rolling accuracy of the outcomes settled in `[from, to]` (epoch milliseconds, both ends
 * included) whose `score` is not null: accuracy is the mean score, the false-positive rate is
 * (replaced + dropped) / settled. Outcomes with an unreadable `settledAt` are ignored.
 */
export function computeAccuracy(
  outcomes: Iterable<OutcomeRecord>,
  window: { from: number; to: number },
): AccuracyFigures {
  let sample = 0;
  let sum = 0;
  let confirmed = 0;
  let replaced = 0;
  let dropped = 0;
  for (const o of outcomes) {
    if (o.score === null || typeof o.score !== 'number') continue;
    const at = Date.parse(o.settledAt);
    if (!(at >= window.from && at <= window.to)) continue;
    sample++;
    sum += o.score;
    if (o.status === 'confirmed') confirmed++;
    else if (o.status === 'replaced') replaced++;
    else if (o.status === 'dropped') dropped++;
  }
  return {
    sample,
    accuracy: sample === 0 ? null : round4(sum / sample),
    falsePositiveRate: sample === 0 ? null : round4((replaced + dropped) / sample),
    confirmed,
    replaced,
    dropped,
  };
}
