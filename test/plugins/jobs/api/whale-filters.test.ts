import { afterEach, describe, expect, it } from 'vitest';
import type { Flow, WhaleSignal } from '../../../../src/bus/events.js';
import { COLLECTIONS, type OutcomeRecord } from '../../../../src/store/records.js';
import { txidOf, whale } from '../../../helpers/ws/whales.js';
import { serveApi } from './serve.js';

// GET /api/whales?flow=&entity=&urgency=: the semantics of an output's `filter:`.

const stops: Array<() => unknown> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

const flow = (type: Flow['type'], from: string | null, to: string | null): Flow => ({ type, from, to });
const level = (n: number, l: 'low' | 'medium' | 'high' | 'critical'): WhaleSignal['urgency'] => ({
  ...whale(n).urgency!,
  level: l,
});

/** Whales 0–5: flows and urgencies to filter on (0 has no flow, 5 no urgency). */
const WHALES: WhaleSignal[] = [
  { ...whale(0), urgency: level(0, 'low') },
  { ...whale(1), flow: flow('inflow', null, 'Binance'), urgency: level(1, 'high') },
  { ...whale(2), flow: flow('outflow', 'Crypto.com', null), urgency: level(2, 'critical') },
  { ...whale(3), flow: flow('internal', 'Kraken', 'Coinbase'), urgency: level(3, 'medium') },
  { ...whale(4), flow: flow('unknown', null, null), urgency: level(4, 'high') },
  (({ urgency: _u, ...w }) => ({ ...w, flow: flow('inflow', null, 'Coinbase') }))(whale(5)),
];

async function api() {
  const a = await serveApi(['inputs:', '  feed: { use: replay }', 'jobs:', '  api: { use: api }'].join('\n'));
  stops.push(() => a.stop());
  for (const w of WHALES) a.kernel.bus.publish('whale.detected', w, 'test');
  await a.kernel.bus.drain();
  const list = async (query: string) => {
    const r = await a.get(`/api/whales?${query}`);
    expect(r.status, query).toBe(200);
    return (r.body.whales as WhaleSignal[]).map((w) => WHALES.findIndex((x) => x.txid === w.txid));
  };
  return { ...a, list };
}

describe('REST API: whales by flow, entity and urgency', () => {
  it('flow: the listed types; a whale without a flow is unknown', async () => {
    const a = await api();
    expect(await a.list('flow=inflow')).toEqual([5, 1]);
    expect(await a.list('flow=outflow,internal')).toEqual([3, 2]);
    expect(await a.list('flow=unknown')).toEqual([4, 0]);
  });

  it('entity: either side of the flow, names compared as the routing filter does', async () => {
    const a = await api();
    expect(await a.list('entity=coinbase')).toEqual([5, 3]);
    expect(await a.list(`entity=${encodeURIComponent('CRYPTO.COM')}`)).toEqual([2]);
    expect(await a.list('entity=cryptocom,Binance')).toEqual([2, 1]);
    expect(await a.list('entity=Bitfinex')).toEqual([]);
  });

  it('urgency: the listed levels; a whale without urgency never passes; the latest whale.updated counts', async () => {
    const a = await api();
    expect(await a.list('urgency=high,critical')).toEqual([4, 2, 1]);
    expect(await a.list('urgency=low,medium,high,critical')).toEqual([4, 3, 2, 1, 0]);
    a.kernel.bus.publish(
      'whale.updated',
      {
        txid: txidOf(0),
        urgency: level(0, 'critical')!,
        eta: { blocks: 1, p10Minutes: 1, p50Minutes: 7, p90Minutes: 23 },
      },
      'test',
    );
    await a.kernel.bus.drain();
    expect(await a.list('urgency=critical')).toEqual([2, 0]);
  });

  it('combines with each other and with the other parameters; a whale known only from its outcome has neither flow nor urgency', async () => {
    const a = await api();
    expect(await a.list('flow=inflow&urgency=high')).toEqual([1]);
    expect(await a.list('entity=Coinbase&flow=internal&minBtc=153')).toEqual([3]);
    expect(await a.list('flow=inflow,unknown&limit=2')).toEqual([5, 4]);
    const n = 9;
    const outcome: OutcomeRecord = {
      txid: txidOf(n),
      detectedAt: whale(n).detectedAt,
      settledAt: whale(n + 10).detectedAt,
      status: 'dropped',
      valueSats: whale(n).valueSats,
      predictedBlocks: 2,
      urgencyLevel: 'high',
      score: 0.3,
    };
    a.store.collection<OutcomeRecord>(COLLECTIONS.outcomes).put(outcome.txid, outcome);
    const unknown = await a.get('/api/whales?flow=unknown');
    expect((unknown.body.whales as WhaleSignal[]).map((w) => w.txid)).toEqual([
      txidOf(9),
      txidOf(4),
      txidOf(0),
    ]);
    expect(await a.list('urgency=high')).toEqual([4, 1]);
  });

  it('a bad value → 400 naming the allowed values; a repeated parameter → 400 showing the comma form', async () => {
    const a = await api();
    const cases: Array<[string, RegExp]> = [
      [
        'flow=sideways',
        /^flow must be one or more of inflow, outflow, internal, unknown \(comma-separated\), not sideways\.$/,
      ],
      ['flow=', /^flow must be one or more of inflow, outflow, internal, unknown/],
      [
        'urgency=urgent,high',
        /^urgency must be one or more of low, medium, high, critical \(comma-separated\), not urgent\.$/,
      ],
      ['entity=,', /^entity must be one or more entity names/],
      [`entity=${encodeURIComponent('Binance,!!')}`, /letter or digit/],
      ['flow=inflow&flow=outflow', /given more than once.*flow=inflow,outflow/],
      ['entity=a&entity=b', /entity=Binance,Coinbase/],
      ['urgency=low&urgency=high', /urgency=high,critical/],
      [
        'colour=red',
        /^Unknown parameter colour; use since, until, minBtc, status, flow, entity, urgency, limit, cursor\.$/,
      ],
    ];
    for (const [query, message] of cases) {
      const r = await a.get(`/api/whales?${query}`);
      expect({ query, status: r.status, body: r.body }).toEqual({
        query,
        status: 400,
        body: { error: 'bad_request', message: expect.stringMatching(message) },
      });
    }
  });
});
