import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EventMap } from '../../../../src/bus/events.js';
import { handleFrame } from '../../../../plugins/inputs/mempool/frames.js';
import { frameSink } from '../../../helpers/frame-sink.js';

const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/mempool-repo/', import.meta.url));
const hasFixtures = existsSync(FIXTURES);
const fixture = (name: string) => readFileSync(FIXTURES + name, 'utf8');

describe.skipIf(!hasFixtures)('frames from the real server (../shared/fixtures)', () => {
  it('the real init payload yields one mempool.stats with projected blocks, fees, size and USD price', () => {
    const { s, events, rejected } = frameSink();
    handleFrame(fixture('mainnet_mempoolInfo.json'), 1e8, s);
    expect(rejected).toEqual({});
    expect(events.map((e) => e.type)).toEqual(['mempool.stats']);
    const stats = events[0]?.data as EventMap['mempool.stats'];
    expect(stats.projectedBlocks.length).toBeGreaterThan(1);
    expect(stats.projectedBlocks[0]?.feeRange).toEqual([
      7, 7, 7.010590015128593, 7.022801302931596, 7.12430426716141, 10.01669449081803, 236.07305936073058,
    ]);
    expect(stats).toMatchObject({
      recommendedFees: { fastestFee: 8, economyFee: 4 },
      mempoolVsize: 175691391,
      usdPrice: 69880,
      // da.timeAvg 574,743 ms
      blockIntervalMinutes: 9.579,
    });
  });

  it('the real block frame yields block.connected and stats', () => {
    const { s, events } = frameSink();
    handleFrame(fixture('tx02_ws_block.json'), 1e8, s);
    expect(events.find((e) => e.type === 'block.connected')?.data).toEqual({
      height: 890448,
      hash: '000000000000000000019bfe551da67e0d93dda4b355d16f1fdb4031ba7e5d61',
      time: new Date(1743541850 * 1000).toISOString(),
      txids: [],
    });
  });
});

describe('bad frames', () => {
  it('10,000 malformed frames: nothing thrown, every one counted by reason, good frames still handled', () => {
    const { s, events, rejected } = frameSink();
    const bad = [
      '{not json',
      'null',
      '[1,2,3]',
      '{"mempool-transactions": {"added": [{"txid": "zz"}]}}',
      '{"mempool-transactions": {"added": [{"txid": "' +
        'a'.repeat(64) +
        '", "fee": -5, "weight": 400, "vin": [{"sequence": 1}], "vout": [{"value": 1}]}]}}',
      '{"mempool-transactions": "nope"}',
      '{"block": {"id": 42}}',
      '{"mempool-blocks": [{"feeRange": "x"}]}',
      '{"surprise": 1}',
      'x'.repeat(2000),
    ];
    const expected = {
      'invalid-json': 1000,
      'not-object': 2000,
      'bad-id': 2000, // the tx's txid "zz", the block's id 42
      'bad-amount': 1000, // fee -5
      'bad-shape': 2000, // mempool-transactions "nope", feeRange "x"
      'unknown-key': 1000,
      oversize: 1000,
    };
    for (let i = 0; i < 10_000; i++) handleFrame(bad[i % bad.length] as string, 1000, s);
    expect(rejected).toEqual(expected);
    const good = {
      txid: 'b'.repeat(64),
      fee: 500,
      weight: 400,
      vin: [{ sequence: 0xffffffff, prevout: null }],
      vout: [{ value: 10 }],
    };
    handleFrame(
      JSON.stringify({
        'mempool-transactions': { sequence: 1, added: [good], removed: [], mined: [], replaced: [] },
      }),
      1000,
      s,
    );
    expect(events.map((e) => e.type)).toEqual(['tx.seen']);
  });

  it('emits a transaction once however often it is sent, and reports replacements before the replacement', () => {
    const { s, events } = frameSink();
    const tx = (id: string, seq: number) => ({
      txid: id.repeat(64),
      fee: 500,
      weight: 400,
      vin: [{ sequence: seq, prevout: null }],
      vout: [{ value: 10 }],
    });
    const frame = (body: object) =>
      JSON.stringify({
        'mempool-transactions': { sequence: 1, added: [], removed: [], mined: [], replaced: [], ...body },
      });
    handleFrame(frame({ added: [tx('a', 0xfffffffd), tx('b', 0xffffffff)] }), 1e6, s);
    handleFrame(frame({ added: [tx('a', 0xfffffffd)] }), 1e6, s);
    handleFrame(
      frame({
        added: [tx('c', 1)],
        removed: ['a'.repeat(64), 'b'.repeat(64)],
        replaced: [{ replaced: 'a'.repeat(64), by: tx('c', 1) }],
      }),
      1e6,
      s,
    );
    handleFrame(frame({ replaced: [{ replaced: 'b'.repeat(64), by: tx('d', 1) }] }), 1e6, s);
    expect(events.map((e) => `${e.type} ${JSON.stringify(e.data).slice(9, 10)}`)).toEqual([
      'tx.seen a',
      'tx.seen b',
      'tx.replaced a',
      'tx.seen c',
      'tx.removed b',
      'tx.replaced b',
      'tx.seen d',
    ]);
    expect(events[2]?.data).toMatchObject({ byTxid: 'c'.repeat(64), fullRbf: false });
    expect(events[5]?.data).toMatchObject({ byTxid: 'd'.repeat(64), fullRbf: true }); // b did not signal
  });
});
