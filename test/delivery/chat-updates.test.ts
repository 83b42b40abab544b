import { describe, expect, it } from 'vitest';
import { createEnvelope } from '../../src/bus/envelope.js';
import type { WhaleSignal } from '../../src/bus/events.js';
import { applyEnvelope, type ChatMessageRecord } from '../../src/delivery/chat/record.js';
import { formatLine } from '../../plugins/outputs/console/format.js';

const W = 'a'.repeat(64);
const NOW = new Date('2026-11-21T10:00:00Z');
const signal: WhaleSignal = {
  txid: W,
  valueSats: 250e8,
  valueBtc: 250,
  valueUsd: null,
  feeSats: 5000,
  vsize: 250,
  feeRate: 20,
  urgency: { score: 0.8, level: 'high', predictedBlocks: 1, basis: 'projected-position' },
  eta: { blocks: 1, p10Minutes: 1, p50Minutes: 7, p90Minutes: 23 },
  status: 'pending',
  firstSeen: NOW.toISOString(),
  detectedAt: NOW.toISOString(),
  url: `https://mempool.space/tx/${W}`,
};
const updated = (predictedBlocks: number) =>
  createEnvelope(
    'whale.updated',
    {
      txid: W,
      urgency: { score: 0.5, level: 'medium', predictedBlocks, basis: 'projected-position' },
      eta: { blocks: predictedBlocks, p10Minutes: 5, p50Minutes: 27, p90Minutes: 53 },
    },
    'urgency',
    NOW,
  );
const apply = (current: ChatMessageRecord | undefined, e: Parameters<typeof applyEnvelope>[1]) =>
  applyEnvelope(current, e, 'chat', ['c1'], NOW);

describe('chat record: whale.updated', () => {
  it('replaces the urgency and ETA of a pending whale and bumps the version (an edit)', () => {
    const posted = apply(undefined, createEnvelope('whale.detected', signal, 'whales', NOW))!;
    const next = apply(posted, updated(3))!;
    expect(next.version).toBe(posted.version + 1);
    expect(next.signal).toEqual({ ...signal, urgency: updated(3).data.urgency, eta: updated(3).data.eta });
    expect(next.kind).toBe('whale');
    expect(apply(next, updated(3))).toBeNull(); // the same prediction again changes nothing
  });

  it('changes nothing for a settled whale or one never posted (no notice is made of it)', () => {
    const posted = apply(undefined, createEnvelope('whale.detected', signal, 'whales', NOW))!;
    const confirmed = apply(
      posted,
      createEnvelope(
        'whale.confirmed',
        { txid: W, height: 1, blocksWaited: 1, minutesWaited: 9, predictedBlocks: 1 },
        'correlation',
        NOW,
      ),
    )!;
    expect(apply(confirmed, updated(3))).toBeNull();
    expect(apply(undefined, updated(3))).toBeNull();
  });
});

describe('console: whale.updated', () => {
  it('prints one UPDATE line with the short txid and the new ETA', () => {
    expect(formatLine(updated(3))).toBe(
      `10:00:00 UPDATE ${W.slice(0, 8)}…${W.slice(-4)} now ~3 blocks: ~27 min (5–53 min)`,
    );
  });
});
