import { describe, expect, it } from 'vitest';
import { createEnvelope } from '../../../src/bus/envelope.js';
import { formatLine } from '../../../plugins/outputs/console/format.js';

const at = new Date('2026-11-21T10:00:05.000Z');

describe('console output lines', () => {
  it('formats a whale with every annotation', () => {
    const line = formatLine(
      createEnvelope(
        'whale.detected',
        {
          txid: '5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd',
          valueSats: 92_700_000_000,
          valueBtc: 927,
          valueUsd: 85_000_000.4,
          feeSats: 4500,
          vsize: 225,
          feeRate: 20,
          urgency: { score: 0.62, level: 'medium', predictedBlocks: 2, basis: 'projected-blocks' },
          rbf: { signaling: true, replaces: [] },
          flow: { type: 'inflow', from: null, to: 'Example Exchange' },
          status: 'pending',
          firstSeen: '2026-11-21T10:00:00.000Z',
          detectedAt: '2026-11-21T10:00:00.012Z',
          url: 'https://mempool.space/tx/5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd',
        },
        'whales',
        at,
      ),
    );
    expect(line).toBe(
      '10:00:05 WHALE 927.00 BTC ($85,000,000)  unknown wallet → Example Exchange (inflow)  5143ba55…7dcd  fee 20.0 sat/vB  urgency medium (~2 blocks)  RBF signalling  https://mempool.space/tx/5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd',
    );
  });

  it('formats settlements and accuracy changes', () => {
    expect(
      formatLine(
        createEnvelope(
          'whale.confirmed',
          { txid: 'ab'.repeat(32), height: 870123, blocksWaited: 2, minutesWaited: 7, predictedBlocks: 1 },
          'c',
          at,
        ),
      ),
    ).toBe('10:00:05 CONFIRMED abababab…abab in block 870,123 after 2 block(s), 7 min');
    expect(
      formatLine(
        createEnvelope(
          'accuracy.degraded',
          { accuracy: 0.713, window: '7d', threshold: 0.75, level: 'warning', sample: 120 },
          'a',
          at,
        ),
      ),
    ).toBe('10:00:05 ACCURACY WARNING 71.3% over 7d (threshold 75%, 120 predictions)');
  });
});
