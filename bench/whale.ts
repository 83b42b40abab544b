import type { WhaleSignal } from '../src/bus/events.js';

/** A whale.detected payload as the detector chain publishes it (a real one's shape and size). */
export const whale = (i: number): WhaleSignal => {
  const txid = (0x5143ba55 + i).toString(16).padStart(64, '0');
  return {
    txid,
    valueSats: 21_394_766_115 + i,
    valueBtc: (21_394_766_115 + i) / 1e8,
    valueUsd: 20_282_890.82,
    feeSats: 2_873,
    vsize: 278,
    feeRate: 10.33,
    urgency: {
      score: 0.303,
      level: 'medium',
      predictedBlocks: 3,
      basis: 'projected-blocks',
      congestion: 'low',
    },
    rbf: { signaling: false, replaces: [], confidence: 0.95 },
    status: 'pending',
    firstSeen: '2026-11-21T10:00:00.000Z',
    detectedAt: '2026-11-21T10:00:00.012Z',
    url: `https://mempool.space/tx/${txid}`,
  };
};
