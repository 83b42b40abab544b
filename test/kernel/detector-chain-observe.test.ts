import { describe, expect, it, vi } from 'vitest';
import { createBus } from '../../src/bus/bus.js';
import type { AnyEnvelope } from '../../src/bus/envelope.js';
import type { EventType, MempoolStats, TxSeen, WhaleSignal } from '../../src/bus/events.js';
import { createDetectorChain, HOOK_TIMEOUT_MS } from '../../src/kernel/detector-chain.js';
import type { Runtime } from '../../src/kernel/instance.js';
import type { DetectorHooks } from '../../src/plugin/types.js';

const tx = (txid: string, valueSats = 1): TxSeen => ({
  txid,
  valueSats,
  feeSats: 1000,
  vsize: 200,
  feeRate: 5,
  inputs: [],
  outputs: [],
  rbfSignaling: false,
  firstSeen: '2026-11-21T10:00:00.000Z',
});

const stats = (usdPrice: number): MempoolStats => ({
  projectedBlocks: [],
  recommendedFees: null,
  mempoolVsize: 0,
  usdPrice,
});

const signal = (t: TxSeen): WhaleSignal => ({
  txid: t.txid,
  valueSats: t.valueSats,
  valueBtc: t.valueSats / 1e8,
  valueUsd: null,
  feeSats: t.feeSats,
  vsize: t.vsize,
  feeRate: t.feeRate,
  status: 'pending',
  firstSeen: t.firstSeen,
  detectedAt: t.firstSeen,
  url: `https://example.test/tx/${t.txid}`,
});

// Only what the chain reads of a runtime: its name, its definition's `consumes`, its hooks.
const detector = (name: string, consumes: EventType[], hooks: DetectorHooks): Runtime =>
  ({ config: { name }, plugin: { kind: 'detector', consumes }, hooks }) as unknown as Runtime;

const label = (e: AnyEnvelope) =>
  e.type === 'mempool.stats' ? `stats ${e.data.usdPrice}` : `${e.type} ${(e.data as { txid: string }).txid}`;

const setup = () => {
  const bus = createBus();
  const failures: string[] = [];
  const chain = createDetectorChain(bus, (name, e, error) =>
    failures.push(`${name} ${label(e)}: ${(error as Error).message}`),
  );
  const whales: string[] = [];
  bus.tap((e) => void (e.type === 'whale.detected' && whales.push(e.data.txid)));
  return { bus, chain, failures, whales };
};

describe('detector chain: observe', () => {
  it('hands consumed types to observe in publication order with tx.seen, even with asynchronous hooks', async () => {
    const { bus, chain, whales } = setup();
    const calls: string[] = [];
    const later = () => new Promise<void>((r) => setImmediate(r));
    chain.set([
      detector('admitter', ['tx.seen'], {
        async admit(t) {
          await later();
          calls.push(`admit ${t.txid}`);
          return t.valueSats > 1 ? signal(t) : null;
        },
      }),
      detector('watcher', ['tx.seen', 'mempool.stats', 'tx.replaced'], {
        async observe(e) {
          await later();
          calls.push(`observe ${label(e)}`);
        },
        annotate: (t) => void calls.push(`annotate ${t.txid}`),
      }),
    ]);
    bus.publish('tx.seen', tx('a', 2), 'src');
    bus.publish('mempool.stats', stats(1), 'src');
    bus.publish('tx.seen', tx('b'), 'src');
    bus.publish('tx.replaced', { txid: 'b', byTxid: 'c', fullRbf: false }, 'src');
    bus.publish('tx.removed', { txid: 'x', reason: 'evicted' }, 'src'); // consumed by no one
    bus.publish('tx.seen', tx('c', 2), 'src');
    await bus.drain();
    expect(calls).toEqual([
      'admit a',
      'annotate a',
      'observe stats 1',
      'admit b',
      'observe tx.replaced b',
      'admit c',
      'annotate c',
    ]);
    expect(whales).toEqual(['a', 'c']);
    await chain.close();
  });

  it('a throwing or rejecting observe is reported for that detector only; the others and later transactions go on', async () => {
    const { bus, chain, failures, whales } = setup();
    const seen: string[] = [];
    chain.set([
      detector('sync-thrower', ['mempool.stats'], {
        observe: () => {
          throw new Error('boom');
        },
      }),
      detector('async-thrower', ['mempool.stats'], {
        observe: async () => {
          throw new Error('later boom');
        },
      }),
      detector('steady', ['mempool.stats'], {
        observe: (e) => void seen.push(label(e)),
        admit: (t) => signal(t),
      }),
    ]);
    bus.publish('mempool.stats', stats(1), 'src');
    bus.publish('tx.seen', tx('a'), 'src');
    await bus.drain();
    expect(failures).toEqual(['sync-thrower stats 1: boom', 'async-thrower stats 1: later boom']);
    expect(seen).toEqual(['stats 1']);
    expect(whales).toEqual(['a']);
    await chain.close();
  });

  it('set() decides who observes what: only detectors with observe, never tx.seen', async () => {
    const { bus, chain } = setup();
    const first: string[] = [];
    const second: string[] = [];
    chain.set([
      detector('first', ['tx.seen', 'mempool.stats'], { observe: (e) => void first.push(label(e)) }),
      detector('silent', ['tx.replaced'], {}),
    ]);
    bus.publish('tx.seen', tx('a'), 'src');
    bus.publish('mempool.stats', stats(1), 'src');
    bus.publish('tx.replaced', { txid: 'a', byTxid: 'b', fullRbf: false }, 'src');
    await bus.drain();
    chain.set([detector('second', ['tx.replaced'], { observe: (e) => void second.push(label(e)) })]);
    bus.publish('mempool.stats', stats(2), 'src');
    bus.publish('tx.replaced', { txid: 'b', byTxid: 'c', fullRbf: false }, 'src');
    await bus.drain();
    expect(first).toEqual(['stats 1']);
    expect(second).toEqual(['tx.replaced b']);
    expect(bus.depth().total).toBe(0);
    await chain.close();
  });

  it('while paused, what is published waits and reaches the detectors set before resuming, in order', async () => {
    const { bus, chain, whales } = setup();
    chain.set([detector('old', ['tx.seen'], { admit: () => null })]);
    await chain.pause();
    let price: number | null = null;
    bus.publish('tx.seen', tx('a'), 'src');
    bus.publish('mempool.stats', stats(7), 'src');
    bus.publish('tx.seen', tx('b'), 'src');
    chain.set([
      detector('new', ['mempool.stats'], {
        observe: (e) => void (e.type === 'mempool.stats' && (price = e.data.usdPrice ?? null)),
        admit: (t) => ({ ...signal(t), valueUsd: price }),
      }),
    ]);
    const admitted: Array<number | null> = [];
    bus.tap((e) => void (e.type === 'whale.detected' && admitted.push(e.data.valueUsd)));
    chain.resume();
    await bus.drain();
    expect(whales).toEqual(['a', 'b']);
    expect(admitted).toEqual([null, 7]);
    await chain.close();
  });

  it('an observe that never answers is cut off after HOOK_TIMEOUT_MS; detection goes on', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { bus, chain, failures, whales } = setup();
      chain.set([
        detector('hangs', ['mempool.stats'], { observe: () => new Promise<never>(() => {}) }),
        detector('admitter', ['tx.seen'], { admit: (t) => signal(t) }),
      ]);
      bus.publish('mempool.stats', stats(1), 'src');
      bus.publish('tx.seen', tx('a'), 'src');
      await vi.advanceTimersByTimeAsync(HOOK_TIMEOUT_MS - 1);
      expect(whales).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      await bus.drain();
      expect(failures).toEqual([`hangs stats 1: did not answer within ${HOOK_TIMEOUT_MS} ms`]);
      expect(whales).toEqual(['a']);
      await chain.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
