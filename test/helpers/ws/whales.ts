import type { WhaleSignal } from '../../../src/bus/events.js';

export const txidOf = (n: number): string => (0xb000 + n).toString(16).padStart(64, '0');

/** A whale signal as the detector chain publishes it; `pad` bytes make its envelope larger. */
export function whale(n: number, btc = 150 + n, pad = 0): WhaleSignal {
  const txid = txidOf(n);
  return {
    txid,
    valueSats: Math.round(btc * 1e8),
    valueBtc: btc,
    valueUsd: null,
    feeSats: 4_200,
    vsize: 210,
    feeRate: 20,
    urgency: { score: 0.5, level: 'medium', predictedBlocks: 2, basis: 'static-bands' },
    status: 'pending',
    firstSeen: '2026-11-21T10:00:00.000Z',
    detectedAt: new Date(Date.UTC(2026, 10, 21, 10, 0, 0) + n * 60_000).toISOString(),
    url: `https://mempool.space/tx/${txid}${pad > 0 ? `#${'x'.repeat(pad)}` : ''}`,
  };
}
