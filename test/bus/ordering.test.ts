import { describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus/bus.js';
import type { AnyEnvelope } from '../../src/bus/envelope.js';
import type { MempoolStats, TxRemoved, TxReplaced } from '../../src/bus/events.js';

const removed = (txid: string): TxRemoved => ({ txid, reason: 'evicted' });
const replacedBy = (txid: string): TxReplaced => ({ txid, byTxid: `${txid}'`, fullRbf: false });
const stats: MempoolStats = { projectedBlocks: [], recommendedFees: null, mempoolVsize: 0, usdPrice: null };

const label = (e: AnyEnvelope) =>
  e.type === 'mempool.stats' ? 'stats' : `${e.type} ${(e.data as { txid: string }).txid}`;

describe('bus ordering', () => {
  it('one subscription gets every type it selects in publication order, even with async handlers', async () => {
    const bus = createBus();
    const seen: string[] = [];
    bus.subscribe('one', ['tx.removed', 'tx.replaced', 'mempool.stats'], async (e) => {
      if (e.type === 'mempool.stats') await new Promise((r) => setTimeout(r, 2));
      seen.push(label(e));
    });
    // Another subscriber busy on the same types changes nothing for this one.
    bus.subscribe('other', '*', () => new Promise((r) => setTimeout(r, 1)));
    const published: string[] = [];
    for (let i = 0; i < 5; i++) {
      published.push(label(bus.publish('tx.removed', removed(`a${i}`), 'src') as AnyEnvelope));
      published.push(label(bus.publish('mempool.stats', stats, 'src') as AnyEnvelope));
      published.push(label(bus.publish('tx.replaced', replacedBy(`b${i}`), 'src') as AnyEnvelope));
    }
    await bus.drain();
    expect(seen).toEqual(published);
  });
});
