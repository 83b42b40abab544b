import type { WhaleSignal } from '../../src/bus/events.js';

/** A pending 500 BTC whale's signal, first seen 2026-11-21 07:00 UTC; `extra` overrides fields. */
export const whaleSignal = (txid: string, extra: Partial<WhaleSignal> = {}): WhaleSignal => ({
  txid,
  valueSats: 500e8,
  valueBtc: 500,
  valueUsd: null,
  feeSats: 1000,
  vsize: 200,
  feeRate: 5,
  status: 'pending',
  firstSeen: '2026-11-21T07:00:00.000Z',
  detectedAt: '2026-11-21T07:00:00.000Z',
  url: `https://mempool.space/tx/${txid}`,
  ...extra,
});
