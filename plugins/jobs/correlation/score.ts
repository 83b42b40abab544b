import type { UrgencyLevel } from '../../../src/index.js';

/** Outcome scores that do not depend on timing. */
export const REPLACED_SCORE = 0.1;
export const DROPPED_SCORE = 0.3;

/**
 * Timing part of a confirmed whale's score: 1.0 when it confirmed within one block of the
 * prediction, falling linearly to 0.5 at six or more blocks off. 0.5 when nothing was predicted.
 */
export function timingScore(blocksWaited: number, predictedBlocks: number | null): number {
  if (predictedBlocks === null) return 0.5;
  const off = Math.abs(blocksWaited - predictedBlocks);
  if (off <= 1) return 1;
  if (off >= 6) return 0.5;
  return 1 - (0.5 * (off - 1)) / 5;
}

/**
 * The urgency level that matches how fast a whale confirmed: in the next block → high or
 * critical; in 2–3 blocks → medium; later → low.
 */
export function levelsFor(blocksWaited: number): UrgencyLevel[] {
  if (blocksWaited <= 1) return ['high', 'critical'];
  if (blocksWaited <= 3) return ['medium'];
  return ['low'];
}

/** Score of a confirmed whale: timing × 0.6 + urgency match × 0.4, three decimals. */
export function confirmedScore(
  blocksWaited: number,
  predictedBlocks: number | null,
  level: UrgencyLevel | null,
): number {
  const match = level !== null && levelsFor(blocksWaited).includes(level) ? 1 : 0;
  return Math.round((0.6 * timingScore(blocksWaited, predictedBlocks) + 0.4 * match) * 1000) / 1000;
}
