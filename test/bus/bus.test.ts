import { describe, expect, it } from 'vitest';
import { createBus, type HandlerFailure } from '../../src/bus/bus.js';
import { createEnvelope, eventId } from '../../src/bus/envelope.js';
import type { TxRemoved } from '../../src/bus/events.js';

const removed = (txid: string): TxRemoved => ({ txid, reason: 'evicted' });

describe('bus', () => {
  it('delivers asynchronously, in publication order per subscriber', async () => {
    const bus = createBus();
    const seen: string[] = [];
    bus.subscribe('slow', ['tx.removed'], async (e) => {
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      seen.push((e.data as TxRemoved).txid);
    });
    for (let i = 0; i < 20; i++) bus.publish('tx.removed', removed(`t${i}`), 'src');
    expect(seen).toEqual([]); // publish never runs handlers synchronously
    await bus.drain();
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
  });

  it('where: refused envelopes are never queued (depth, order and other subscribers unaffected); a throwing where refuses', async () => {
    const bus = createBus();
    const picked: string[] = [];
    const all: string[] = [];
    let asked = 0;
    bus.subscribe(
      'picky',
      ['tx.removed'],
      (e) => void picked.push((e.data as TxRemoved).txid),
      (e) => {
        asked++;
        const txid = (e.data as TxRemoved).txid;
        if (txid === 'boom') throw new Error('where bug');
        return txid.endsWith('0');
      },
    );
    bus.subscribe('all', ['tx.removed'], (e) => void all.push((e.data as TxRemoved).txid));
    for (let i = 0; i < 30; i++) bus.publish('tx.removed', removed(`t${i}`), 'src');
    bus.publish('tx.removed', removed('boom'), 'src');
    expect(asked).toBe(31); // asked at publication, synchronously
    expect(bus.depth().bySubscriber).toEqual({ picky: 3, all: 31 });
    await bus.drain();
    expect(picked).toEqual(['t0', 't10', 't20']);
    expect(all).toHaveLength(31);
  });

  it('runs subscribers concurrently: a slow one does not hold back another', async () => {
    const bus = createBus();
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const fast: string[] = [];
    bus.subscribe('stuck', '*', () => blocked);
    bus.subscribe('fast', '*', (e) => void fast.push(e.type));
    bus.publish('tx.removed', removed('a'), 'src');
    bus.publish('tx.removed', removed('b'), 'src');
    await new Promise((r) => setTimeout(r, 10));
    expect(fast).toEqual(['tx.removed', 'tx.removed']);
    release();
    await bus.drain();
  });

  it('isolates a throwing handler: reported once per failure, others and later events still delivered', async () => {
    const failures: HandlerFailure[] = [];
    const bus = createBus({ onError: (f) => failures.push(f) });
    const good: string[] = [];
    const afterFailure: string[] = [];
    bus.subscribe('bad', '*', (e) => {
      if ((e.data as TxRemoved).txid === 'boom') throw new Error('handler broke');
      afterFailure.push((e.data as TxRemoved).txid);
    });
    bus.subscribe('good', '*', (e) => void good.push((e.data as TxRemoved).txid));
    for (const id of ['a', 'boom', 'c']) bus.publish('tx.removed', removed(id), 'src');
    await bus.drain();
    expect(good).toEqual(['a', 'boom', 'c']);
    expect(afterFailure).toEqual(['a', 'c']);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.subscriber).toBe('bad');
    expect(failures[0]?.envelope.type).toBe('tx.removed');
    expect((failures[0]?.error as Error).message).toBe('handler broke');
  });

  it('drain waits for events that handlers publish while draining', async () => {
    const bus = createBus();
    const got: string[] = [];
    bus.subscribe('relay', ['tx.removed'], (e) => {
      bus.publish('tx.replaced', { txid: (e.data as TxRemoved).txid, byTxid: 'x', fullRbf: false }, 'relay');
    });
    bus.subscribe('sink', ['tx.replaced'], async (e) => {
      await new Promise((r) => setTimeout(r, 5));
      got.push(e.type);
    });
    bus.publish('tx.removed', removed('a'), 'src');
    await bus.drain();
    expect(got).toEqual(['tx.replaced']);
    expect(bus.depth().total).toBe(0);
  });

  it('selects by type list, predicate or *', async () => {
    const bus = createBus();
    const byList: string[] = [];
    const byPredicate: string[] = [];
    bus.subscribe('list', ['tx.removed'], (e) => void byList.push(e.type));
    bus.subscribe(
      'pred',
      (t) => t.startsWith('tx.rep'),
      (e) => void byPredicate.push(e.type),
    );
    bus.publish('tx.removed', removed('a'), 's');
    bus.publish('tx.replaced', { txid: 'a', byTxid: 'b', fullRbf: true }, 's');
    await bus.drain();
    expect(byList).toEqual(['tx.removed']);
    expect(byPredicate).toEqual(['tx.replaced']);
  });

  it('unsubscribe stops delivery and resolves after the in-flight handler returns', async () => {
    const bus = createBus();
    const seen: string[] = [];
    let finishedInflight = false;
    const off = bus.subscribe('s', '*', async (e) => {
      seen.push((e.data as TxRemoved).txid);
      await new Promise((r) => setTimeout(r, 20));
      finishedInflight = true;
    });
    bus.publish('tx.removed', removed('a'), 's');
    bus.publish('tx.removed', removed('b'), 's');
    await new Promise((r) => setImmediate(r));
    await off();
    expect(finishedInflight).toBe(true);
    await bus.drain();
    expect(seen).toEqual(['a']);
  });

  it('refuses events for a subscriber whose queue is full and reports it', async () => {
    const overflowed: string[] = [];
    const bus = createBus({ maxQueue: 3, onOverflow: (s) => overflowed.push(s) });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    bus.subscribe('full', '*', async (e) => {
      await gate;
      seen.push((e.data as TxRemoved).txid);
    });
    for (let i = 0; i < 5; i++) bus.publish('tx.removed', removed(`t${i}`), 's');
    expect(overflowed).toEqual(['full', 'full']);
    release();
    await bus.drain();
    expect(seen).toEqual(['t0', 't1', 't2']);
  });

  it('tap observes every envelope synchronously with a stamped source', () => {
    const bus = createBus();
    const tapped: string[] = [];
    bus.tap((e) => tapped.push(`${e.type}@${e.source}`));
    bus.publish('tx.removed', removed('a'), 'mempool');
    expect(tapped).toEqual(['tx.removed@mempool']);
  });
});

describe('envelope ids', () => {
  it('are stable for the same fact and differ for different facts', () => {
    const a = createEnvelope('whale.detected', { txid: 'ab'.repeat(32) } as never, 'whales', new Date(1));
    const b = createEnvelope(
      'whale.detected',
      { txid: 'ab'.repeat(32) } as never,
      'whales',
      new Date(999_999),
    );
    const c = createEnvelope('whale.confirmed', { txid: 'ab'.repeat(32) } as never, 'correlation');
    expect(a.id).toBe(b.id);
    expect(a.id).not.toBe(c.id);
    expect(a.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(eventId('whale.detected', 'ab'.repeat(32))).toBe(a.id);
  });
});
