import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TxPosition } from '../../../../src/bus/events.js';
import { handleFrame } from '../../../../plugins/inputs/mempool/frames.js';
import { createTracking, TRACK_INTERVAL_MS } from '../../../../plugins/inputs/mempool/tracking.js';
import { waitFor, type ClientMessage, type FakeMempool } from '../../../helpers/fake-mempool.js';
import { hasFixtures, loadBlock277647, type EsploraTx } from '../../../helpers/fixtures.js';
import { frameSink } from '../../../helpers/frame-sink.js';
import { mempoolInputTests } from '../../../helpers/mempool-input.js';

const live = mempoolInputTests();

const hex = (n: number) => n.toString(16).padStart(64, '0');
/** A copy of a real transaction under txid `hex(n)`, paying `btc` to its first output only. */
function whale(n: number, btc: number): EsploraTx {
  const base = loadBlock277647()[1]!;
  return { ...base, txid: hex(n), vout: [{ ...base.vout[0]!, value: Math.round(btc * 1e8) }] };
}
const trackList = (m: ClientMessage): string[] | null => {
  const list = (m.message as Record<string, unknown> | null)?.['track-txs'];
  return Array.isArray(list) ? (list as string[]) : null;
};
const trackOn = (conn: number, pred: (list: string[]) => boolean) => (m: ClientMessage) => {
  const list = trackList(m);
  return m.conn === conn && list !== null && pred(list);
};

describe.skipIf(!hasFixtures)('mempool input: following pending whales (track-txs)', () => {
  // 105 whales of 100…204 BTC and three of 50 BTC: the 100 most valuable are tracked.
  const whales = [
    ...Array.from({ length: 105 }, (_, i) => whale(i + 1, 100 + i)),
    ...[200, 201, 202].map((n) => whale(n, 50)),
  ];
  const top100 = Array.from({ length: 100 }, (_, i) => hex(105 - i));

  it('subscribes to the 100 most valuable transactions of at least trackMinBtc, in one message, and again after a reconnect', async () => {
    const run = await live.start();
    const f = live.fake as FakeMempool;
    f.pushMempool({ added: whales });
    await waitFor(() => run.of('tx.seen').length === whales.length, 5000, 'tx.seen');
    const first = await f.waitForMessage(trackOn(1, (l) => l.length > 0));
    expect(trackList(first)).toEqual(top100); // one frame, one message: never a partial list first
    expect(f.trackedTxs(1)).toEqual(top100);
    f.dropAll();
    const again = await f.waitForMessage(trackOn(2, (l) => l.length > 0));
    expect(trackList(again)).toEqual(top100);
    await waitFor(() => f.trackedTxs(2).length === 100, 5000, 'tracking on the new connection');
  });

  it('publishes tx.position from tracked-txs, with the CPFP package rate when sent', async () => {
    const run = await live.start('    trackMinBtc: 150\n');
    const f = live.fake as FakeMempool;
    f.pushMempool({ added: whales });
    await f.waitForMessage(trackOn(1, (l) => l.length === 55));
    // The answer to the subscription: the server's position of each one in its mempool.
    await waitFor(() => run.of('tx.position').length >= 55, 5000, 'positions on subscribe');
    const before = run.of('tx.position').length;
    f.pushTracked({
      [hex(105)]: { position: { block: 2, vsize: 12_345 }, cpfp: { effectiveFeePerVsize: 31.5 } },
      [hex(104)]: { position: { block: 0, vsize: 100 } },
      [hex(1)]: { position: { block: 1, vsize: 1 } }, // not tracked: the server sends it to no one
    });
    await waitFor(() => run.of('tx.position').length === before + 2, 5000, 'two tx.position');
    expect(
      run
        .of('tx.position')
        .slice(before)
        .map((e) => e.data as TxPosition),
    ).toEqual([
      { txid: hex(105), block: 2, vsize: 12_345, effectiveFeeRate: 31.5 },
      { txid: hex(104), block: 0, vsize: 100 },
    ]);
  });

  it('stops tracking what confirmed or was replaced, and tracks the next most valuable instead', async () => {
    const run = await live.start();
    const f = live.fake as FakeMempool;
    f.pushMempool({ added: whales });
    await f.waitForMessage(trackOn(1, (l) => l.length === 100));
    f.pushBlock({ id: hex(999), height: 900_000, timestamp: Math.floor(Date.now() / 1000) }, [hex(105)]);
    await waitFor(() => run.of('block.connected').length === 1, 5000, 'block.connected');
    const afterBlock = await f.waitForMessage(trackOn(1, (l) => !l.includes(hex(105))));
    expect(trackList(afterBlock)).toEqual([...top100.slice(1), hex(5)]);
    // The server alone says one was replaced: it is dropped too.
    f.pushTracked({ [hex(104)]: { replacedBy: hex(777) } });
    const afterReplace = await f.waitForMessage(trackOn(1, (l) => !l.includes(hex(104))));
    expect(trackList(afterReplace)).toEqual([...top100.slice(2), hex(5), hex(4)]);
  });

  it('logs a track-txs-error once', async () => {
    const run = await live.start();
    const f = live.fake as FakeMempool;
    f.sendRaw(JSON.stringify({ 'track-txs-error': 'too many txids requested' }));
    f.sendRaw(JSON.stringify({ 'track-txs-error': 'too many txids requested' }));
    f.pushMempool({ added: [whale(1, 500)] });
    await f.waitForMessage(trackOn(1, (l) => l.length === 1));
    const warnings = run.log.lines.filter((l) => String(l.msg).includes('track-txs-error'));
    expect(warnings).toHaveLength(1);
  });
});

describe('tracked-txs frames', () => {
  it('refuses each hostile entry alone, counted by reason, and reads the good ones', () => {
    const { s, events, rejected, untracked } = frameSink();
    const frame = {
      'tracked-txs': {
        'not-a-txid': { position: { block: 0, vsize: 1 } },
        [hex(1)]: { position: { block: -1, vsize: 1 } },
        [hex(2)]: { position: { block: 0, vsize: 1 }, cpfp: { effectiveFeePerVsize: 'high' } },
        [hex(3)]: 'a string',
        [hex(4)]: { confirmed: 'yes' },
        [hex(5)]: { position: { block: 1.5, vsize: 1 } },
        [hex(6)]: { position: { block: 0, vsize: 1e300 } },
        [hex(7)]: { replacedBy: 42 },
        [hex(8)]: { position: [0, 1] },
        [hex(9)]: { position: { block: 3, vsize: 400_000 }, cpfp: null },
        [hex(10)]: { confirmed: true },
        [hex(11)]: { replacedBy: hex(12), position: { block: 0, vsize: 1 } },
        [hex(13).toUpperCase()]: {
          confirmed: false,
          position: { block: 7, vsize: 0 },
          cpfp: { effectiveFeePerVsize: 2 },
        },
      },
    };
    handleFrame(JSON.stringify(frame), 1e6, s);
    expect(events).toEqual([
      { type: 'tx.position', data: { txid: hex(9), block: 3, vsize: 400_000 } },
      { type: 'tx.position', data: { txid: hex(13), block: 7, vsize: 0, effectiveFeeRate: 2 } },
    ]);
    expect(untracked).toEqual([hex(10), hex(11)]);
    expect(rejected).toEqual({ 'bad-id': 2, 'bad-field': 3, 'bad-rate': 1, 'bad-shape': 2, 'bad-count': 1 });
  });

  it('refuses a tracked-txs that is not an object, and a deep or huge one never throws', () => {
    for (const value of [null, [], 'x', 7, [{ position: {} }]]) {
      const { s, events, rejected } = frameSink();
      handleFrame(JSON.stringify({ 'tracked-txs': value }), 1e6, s);
      expect(events).toEqual([]);
      expect(rejected).toEqual({ 'bad-shape': 1 });
    }
    const { s, rejected } = frameSink();
    const deep =
      '{"tracked-txs":{"' + hex(1) + '":' + '{"position":'.repeat(500) + '1' + '}'.repeat(501) + '}';
    handleFrame(deep, 1e6, s);
    expect(rejected.internal).toBeUndefined();
    expect(Object.values(rejected).reduce((a, b) => a + b, 0)).toBe(1);
  });
});

describe('the track-txs list: looked at only when it can change', () => {
  afterEach(() => void vi.useRealTimers());
  /** A tracking on fake timers; `seen` publishes a tx.seen, `removed` a tx.removed. */
  const setup = () => {
    vi.useFakeTimers();
    const sent: string[][] = [];
    const t = createTracking({ minSats: 1, send: (m) => sent.push(m['track-txs']), now: () => Date.now() });
    const seen = (n: number, sats: number) =>
      t.published('tx.seen', { txid: hex(n), valueSats: sats } as never);
    const removed = (n: number) => t.published('tx.removed', { txid: hex(n) } as never);
    const settle = () => vi.advanceTimersByTime(TRACK_INTERVAL_MS);
    return { t, sent, seen, removed, settle };
  };

  it('schedules nothing for a candidate below the last tracked one, and sends one that sorts above it', () => {
    const { sent, seen, settle } = setup();
    for (let n = 1; n <= 100; n++) seen(n, 1_000 + n);
    settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toEqual(Array.from({ length: 100 }, (_, i) => hex(100 - i)));
    // 300 whales worth less than the 100th, and one worth as much with a later txid: no timer.
    for (let n = 101; n <= 400; n++) seen(n, 500);
    seen(401, 1_001);
    expect(vi.getTimerCount()).toBe(0);
    settle();
    expect(sent).toHaveLength(1);
    // Worth more than the 100th: it goes in, the 100th goes out.
    seen(402, 5_000);
    expect(vi.getTimerCount()).toBe(1);
    settle();
    expect(sent).toHaveLength(2);
    expect(sent[1]![0]).toBe(hex(402));
    expect(sent[1]).not.toContain(hex(1));
    expect(sent[1]).toHaveLength(100);
  });

  it('drops an untracked candidate quietly, and a tracked one brings the next in', () => {
    const { sent, seen, removed, settle } = setup();
    for (let n = 1; n <= 101; n++) seen(n, 1_000 + n); // hex(1) is the 101st: a candidate, not tracked
    settle();
    expect(sent.at(-1)).not.toContain(hex(1));
    removed(1);
    expect(vi.getTimerCount()).toBe(0);
    seen(1, 1_001); // back as a candidate
    removed(50);
    settle();
    expect(sent).toHaveLength(2);
    expect(sent[1]).not.toContain(hex(50));
    expect(sent[1]).toContain(hex(1));
  });

  it('sends a new list when forgetting the least valuable candidate forgets a tracked one', () => {
    const { sent, seen, settle } = setup();
    // All worth the same: the tracked are the 100 smallest txids, the first seen the first forgotten.
    for (let n = 1; n <= 1_000; n++) seen(n, 7_000);
    settle();
    expect(sent.at(-1)![0]).toBe(hex(1));
    const before = sent.length;
    seen(1_001, 7_000); // the 1,001st candidate: hex(1), tracked, is forgotten
    settle();
    expect(sent).toHaveLength(before + 1);
    expect(sent.at(-1)).toEqual(Array.from({ length: 100 }, (_, i) => hex(i + 2)));
  });
});
