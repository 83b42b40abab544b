import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus/bus.js';
import { createEnvelope, eventId, factOf, type AnyEnvelope } from '../../src/bus/envelope.js';
import { EVENT_KEYS, EVENT_TYPES } from '../../src/bus/catalogue.js';
import type { AccuracyChange, MempoolStats } from '../../src/bus/events.js';

const T0 = new Date('2026-11-21T10:00:00.000Z');
const TXID = '5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd';
const stats: MempoolStats = { projectedBlocks: [], recommendedFees: null, mempoolVsize: 1000 };
const degraded: AccuracyChange = {
  accuracy: 0.6,
  window: '7d',
  threshold: 0.7,
  level: 'critical',
  sample: 20,
};

describe('event ids of moment-keyed events (mempool.stats, input.status, accuracy.*)', () => {
  it('are the catalogue’s moment-keyed types, and only those', () => {
    const moments = EVENT_TYPES.filter((t) => EVENT_KEYS[t].by === 'moment');
    expect(moments.sort()).toEqual([
      'accuracy.degraded',
      'accuracy.recovered',
      'input.status',
      'mempool.stats',
      'tx.position',
      'whale.updated',
    ]);
  });

  it('differ for two sources publishing the same payload in the same millisecond', () => {
    const bus = createBus({ now: () => T0 });
    const published: AnyEnvelope[] = [];
    bus.tap((e) => published.push(e));
    for (const source of ['mempool-a', 'mempool-b']) {
      bus.publish('mempool.stats', stats, source);
      bus.publish('input.status', { state: 'connected' }, source);
      bus.publish('accuracy.degraded', degraded, source);
      bus.publish('accuracy.recovered', degraded, source);
    }
    expect(new Set(published.map((e) => e.time))).toEqual(new Set([T0.toISOString()]));
    expect(new Set(published.map((e) => e.id)).size).toBe(published.length);
  });

  it('differ for one source publishing twice in the same millisecond, on one bus or two', () => {
    const clock = () => T0;
    const [one, two] = [createBus({ now: clock }), createBus({ now: clock })];
    const ids = [
      one.publish('input.status', { state: 'degraded', reason: 'x' }, 'mempool').id,
      one.publish('input.status', { state: 'degraded', reason: 'x' }, 'mempool').id,
      two.publish('input.status', { state: 'degraded', reason: 'x' }, 'mempool').id,
      createEnvelope('input.status', { state: 'degraded', reason: 'x' }, 'mempool', T0).id,
    ];
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^evt_[0-9a-f]{32}$/);
  });

  it('are keyed source@time#seq, as docs/events.md says, the sequence counting the source’s moment events', async () => {
    const docs = await readFile(fileURLToPath(new URL('../../docs/events.md', import.meta.url)), 'utf8');
    expect(docs).toContain('key = source + "@" + time + "#" + seq');
    const source = 'ids-test-fresh-source';
    const time = '2026-11-21T10:00:00.012Z';
    const at = new Date(time);
    expect(createEnvelope('input.status', { state: 'connecting' }, source, at).id).toBe(
      eventId('input.status', `${source}@${time}#0`),
    );
    expect(createEnvelope('mempool.stats', stats, source, at).id).toBe(
      eventId('mempool.stats', `${source}@${time}#1`),
    );
    expect(createEnvelope('tx.removed', { txid: TXID, reason: 'evicted' }, source, at).id).toBe(
      eventId('tx.removed', TXID),
    );
    expect(createEnvelope('accuracy.recovered', degraded, source, new Date(0)).id).toBe(
      eventId('accuracy.recovered', `${source}@1970-01-01T00:00:00.000Z#2`),
    );
  });

  it('keep their id and time when republished as they are', () => {
    const bus = createBus({ now: () => T0 });
    const seen: AnyEnvelope[] = [];
    bus.tap((e) => seen.push(e));
    const e = bus.publish('mempool.stats', stats, 'mempool');
    bus.publishEnvelope(JSON.parse(JSON.stringify(e)) as AnyEnvelope);
    expect(seen[1]).toEqual(e);
    expect(factOf(seen[1]!)).toBe(factOf(e));
  });
});

describe('event ids of fact-keyed events', () => {
  it('do not depend on the source, the time or how often the fact was published', () => {
    const seen: Array<[string, AnyEnvelope]> = [];
    for (const [source, at] of [
      ['mempool-a', T0],
      ['mempool-b', T0],
      ['mempool-a', new Date(T0.getTime() + 86_400_000)],
    ] as const) {
      const bus = createBus({ now: () => at });
      bus.tap((e) => seen.push([`${e.type}`, e]));
      bus.publish('tx.removed', { txid: TXID, reason: 'evicted' }, source);
      bus.publish('tx.replaced', { txid: TXID, byTxid: 'ff'.repeat(32), fullRbf: false }, source);
      bus.publish(
        'block.connected',
        { height: 1, hash: 'aa'.repeat(32), time: T0.toISOString(), txids: [] },
        source,
      );
      bus.publish('whale.dropped', { txid: TXID, reason: 'evicted' }, source);
    }
    const byType = new Map<string, Set<string>>();
    for (const [type, e] of seen) byType.set(type, (byType.get(type) ?? new Set()).add(e.id));
    for (const [type, ids] of byType) expect(ids.size, type).toBe(1);
  });

  it('keep the values stored data and the docs already use', () => {
    const at = (type: 'whale.detected' | 'whale.confirmed', source: string, ms: number) =>
      createEnvelope(type, { txid: TXID } as never, source, new Date(ms)).id;
    expect(at('whale.detected', 'whales', 1)).toBe('evt_9af07e1e608800483fb774ce9004f79e');
    expect(at('whale.detected', 'other', 999_999)).toBe('evt_9af07e1e608800483fb774ce9004f79e');
    expect(at('whale.confirmed', 'correlation', 5)).toBe('evt_59a0674023392c6b769fd088796bfefe');
    expect(eventId('whale.detected', TXID)).toBe('evt_9af07e1e608800483fb774ce9004f79e');
    expect(createEnvelope('tx.replaced', { txid: 'a', byTxid: 'b', fullRbf: true }, 'mempool', T0).id).toBe(
      eventId('tx.replaced', 'a>b'),
    );
    expect(
      createEnvelope('block.connected', { height: 1, hash: 'h', time: '', txids: [] }, 'mempool').id,
    ).toBe(eventId('block.connected', 'h'));
  });
});

describe('factOf', () => {
  it('is the same fact for a whale seen again later by another input, another for a moment of another source', () => {
    const whale = (source: string, ms: number) =>
      createEnvelope('whale.dropped', { txid: TXID, reason: source }, source, new Date(ms));
    expect(factOf(whale('a', 0))).toBe(factOf(whale('b', 60_000)));
    const a = createEnvelope('input.status', { state: 'connected' }, 'a', T0);
    const b = createEnvelope('input.status', { state: 'connected' }, 'b', T0);
    expect(factOf(a)).not.toBe(factOf({ ...b, id: a.id }));
    expect(factOf(a)).not.toBe(factOf({ ...a, data: { state: 'degraded' } }));
  });
});
