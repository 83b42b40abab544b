import { describe, expect, it } from 'vitest';
import type { BlockConnected, TxReplaced, TxSeen } from '../../../../src/bus/events.js';
import {
  startFakeMempool,
  waitFor,
  type FakeMempool,
  isTrackMempool,
} from '../../../helpers/fake-mempool.js';
import {
  hasFixtures,
  loadBlock277647,
  loadBlock277647Header,
  loadRbfPairs,
} from '../../../helpers/fixtures.js';
import { mempoolInputTests } from '../../../helpers/mempool-input.js';
import { runYaml } from '../../../helpers/run-yaml.js';

const live = mempoolInputTests();

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const subscribed = (f: FakeMempool, conn: number) => f.waitForMessage(isTrackMempool(conn));

describe.skipIf(!hasFixtures)('mempool input against a fake mempool.space (real block 277647)', () => {
  it('emits the 212 mempool transactions with the fixture’s values, fees and addresses, then the block with all of them', async () => {
    const run = await live.start();
    const f = live.fake as FakeMempool;
    expect(f.received.slice(0, 2).map((m) => m.message)).toEqual([
      { action: 'init' },
      {
        action: 'want',
        data: ['blocks', 'stats', 'mempool-blocks'],
        'track-mempool': true,
        'track-rbf': 'all',
      },
    ]);
    const block = loadBlock277647();
    const mempool = block.slice(1); // a coinbase is never in a mempool
    for (let i = 0; i < mempool.length; i += 50) f.pushMempool({ added: mempool.slice(i, i + 50) });
    await waitFor(() => run.of('tx.seen').length === 212, 5000, '212 tx.seen');
    const seen = run.of('tx.seen').map((e) => e.data as TxSeen);
    expect(seen.map((t) => t.txid)).toEqual(mempool.map((t) => t.txid));
    for (const [i, t] of seen.entries()) {
      const raw = mempool[i]!;
      expect(t.valueSats).toBe(raw.vout.reduce((s, o) => s + o.value, 0));
      expect(t.feeSats).toBe(raw.fee);
      expect(t.outputs.map((o) => o.address)).toEqual(raw.vout.map((o) => o.scriptpubkey_address ?? null));
      expect(t.inputs.map((x) => x.address)).toEqual(
        raw.vin.map((v) => v.prevout?.scriptpubkey_address ?? null),
      );
    }
    const header = loadBlock277647Header();
    f.pushBlock(
      { id: header.id, height: header.height, timestamp: header.timestamp, tx_count: 213 },
      block.map((t) => t.txid),
    );
    await waitFor(() => run.of('block.connected').length === 1, 5000, 'block.connected');
    expect(run.of('block.connected')[0]?.data as BlockConnected).toEqual({
      height: 277647,
      hash: '0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8',
      time: '2013-12-30T01:31:42.000Z',
      txids: block.map((t) => t.txid),
    });
    expect(run.of('mempool.stats').length).toBeGreaterThan(0);
  });

  it('reports the real RBF pairs as tx.replaced with the right ids', async () => {
    const run = await live.start();
    const pairs = loadRbfPairs();
    (live.fake as FakeMempool).pushMempool({ added: pairs.map((p) => p.replaced) });
    (live.fake as FakeMempool).pushMempool({
      replaced: pairs.map((p) => ({ replaced: p.replaced.txid, by: p.by })),
    });
    await waitFor(() => run.of('tx.replaced').length === pairs.length, 5000, 'tx.replaced');
    expect(run.of('tx.replaced').map((e) => e.data as TxReplaced)).toEqual(
      pairs.map((p) => ({
        txid: p.replaced.txid,
        byTxid: p.by.txid,
        fullRbf: !p.replaced.vin.some((v) => v.sequence < 0xfffffffe),
      })),
    );
    // Each replacement is seen once, after its tx.replaced; the replaced txs are not reported removed.
    const order = run.events
      .filter((e) => e.type === 'tx.replaced' || e.type === 'tx.seen')
      .map((e) => `${e.type} ${(e.data as { txid: string }).txid.slice(0, 8)}`);
    for (const p of pairs)
      expect(order.indexOf(`tx.replaced ${p.replaced.txid.slice(0, 8)}`)).toBeLessThan(
        order.indexOf(`tx.seen ${p.by.txid.slice(0, 8)}`),
      );
    expect(run.of('tx.removed')).toEqual([]);
  });

  it('survives 20 drops mid-stream: reconnects and re-subscribes every time, and never emits a txid twice', async () => {
    const run = await live.start();
    const f = live.fake as FakeMempool;
    const mempool = loadBlock277647().slice(1);
    const distinct = new Set<string>();
    for (let drop = 1; drop <= 20; drop++) {
      // Each batch overlaps the previous one: the server sends some transactions again.
      const batch = mempool.slice(Math.max(0, (drop - 1) * 10 - 5), drop * 10);
      batch.forEach((t) => distinct.add(t.txid));
      f.pushMempool({ added: batch });
      await waitFor(() => run.of('tx.seen').length === distinct.size, 5000, `batch ${drop}`);
      f.pushMempool({ added: batch }); // again, and the connection drops while it is in flight
      f.dropAll();
      await subscribed(f, drop + 1);
    }
    f.pushMempool({ added: mempool.slice(190) });
    await waitFor(() => run.of('tx.seen').length === 212, 5000, 'all 212 tx.seen');
    // The last reconnect's gap recovery ends with an unsubscribe (-1).
    await f.waitForMessage(
      (m) => m.conn === 21 && isObj(m.message) && m.message['track-mempool-block'] === -1,
    );
    expect(f.accepted()).toBe(21);
    for (let conn = 1; conn <= 21; conn++) {
      const sent = f.received.filter((m) => m.conn === conn).map((m) => m.message);
      expect(sent.slice(0, 2)).toEqual([
        { action: 'init' },
        {
          action: 'want',
          data: ['blocks', 'stats', 'mempool-blocks'],
          'track-mempool': true,
          'track-rbf': 'all',
        },
      ]);
    }
    expect(f.subscriptions()).toEqual({
      want: ['blocks', 'mempool-blocks', 'stats'],
      trackMempool: true,
      trackRbf: 'all',
      trackMempoolBlock: null,
    });
    const ids = run.of('tx.seen').map((e) => (e.data as TxSeen).txid);
    expect(new Set(ids).size).toBe(ids.length);
    const states = run.of('input.status').map((e) => (e.data as { state: string }).state);
    expect(states.filter((s) => s === 'connected')).toHaveLength(21);
    expect(states.filter((s) => s === 'disconnected').length).toBeGreaterThanOrEqual(20);
  });

  it('after a reconnect, finds whales that arrived while disconnected in the projected blocks', async () => {
    const run = await live.start();
    const f = live.fake as FakeMempool;
    const whale = 'e'.repeat(64);
    f.setProjectedBlockTransactions(0, [
      ['a'.repeat(64), 1000, 200, 5_000, 5, 0, 1_700_000_000],
      [whale, 2250, 225, 250_000_000_000, 10, 1, 1_700_000_100],
    ]);
    f.setProjectedBlockTransactions(1, [['b'.repeat(64), 500, 250, 20e8, 2, 0, 1_700_000_200]]);
    f.dropAll();
    await subscribed(f, 2);
    await f.waitForMessage(
      (m) => m.conn === 2 && isObj(m.message) && m.message['track-mempool-block'] === -1,
    );
    const recovered = run.of('tx.seen').map((e) => e.data as TxSeen);
    expect(recovered).toEqual([
      {
        txid: whale,
        valueSats: 250_000_000_000,
        feeSats: 2250,
        vsize: 225,
        feeRate: 10,
        effectiveFeeRate: 10,
        inputs: [],
        outputs: [],
        rbfSignaling: true,
        firstSeen: '2023-11-14T22:15:00.000Z',
        partial: true,
      },
      expect.objectContaining({ txid: 'b'.repeat(64), valueSats: 20e8 }),
    ]);
    const asked = f.received
      .filter((m) => m.conn === 2 && isObj(m.message) && 'track-mempool-block' in m.message)
      .map((m) => (m.message as Record<string, unknown>)['track-mempool-block']);
    expect(asked).toEqual([0, 1, 2, 3, 4, 5, 6, 7, -1]);
  });

  it('counts 10,000 malformed frames by reason, never stops, and keeps the feed flowing', async () => {
    const run = await live.start();
    const f = live.fake as FakeMempool;
    for (let i = 0; i < 10_000; i++)
      f.sendRaw(
        i % 2 === 0 ? '{broken' : JSON.stringify({ 'mempool-transactions': { added: [{ txid: 'nope' }] } }),
      );
    f.pushMempool({ added: loadBlock277647().slice(1, 3) });
    await waitFor(() => run.of('tx.seen').length === 2, 10_000, 'the feed after the bad frames');
    const metrics = await run.kernel.metrics.registry.getSingleMetricAsString('spout_input_rejected_total');
    expect(metrics).toContain('spout_input_rejected_total{instance="feed",reason="invalid-json"} 5000');
    expect(metrics).toContain('spout_input_rejected_total{instance="feed",reason="bad-id"} 5000');
    expect(f.accepted()).toBe(1);
    // Logged at a bounded rate, not once per frame.
    expect(run.log.lines.filter((l) => String(l.msg).startsWith('ignored bad input')).length).toBeLessThan(
      10,
    );
  });
});

describe.skipIf(!hasFixtures)(
  'mempool input watchdog (fake timers; the fake server needs ../shared/fixtures)',
  () => {
    it('notices a server that stops answering without closing within 35 s, and reconnects', async () => {
      const { vi } = await import('vitest');
      // Only the input's own timers are faked; sockets, setImmediate and I/O stay real.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      try {
        const f = (live.fake = await startFakeMempool());
        const turns = async (cond: () => boolean, what: string) => {
          for (let i = 0; i < 100_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
          if (!cond()) throw new Error(`never: ${what}`);
        };
        const run = await runYaml(
          `inputs:\n  feed:\n    use: mempool\n    url: ${f.url}\n    backoffMin: 100ms\n    backoffMax: 100ms\n`,
        );
        live.stop = run.stop;
        const sawTrack = (conn: number) =>
          f.received.some((m) => m.conn === conn && isObj(m.message) && m.message['track-mempool'] === true);
        await turns(() => sawTrack(1), 'first subscription');
        const stalledAt = Date.now();
        f.stall(true);

        await vi.advanceTimersByTimeAsync(29_999);
        expect(f.received.some((m) => isObj(m.message) && m.message.action === 'ping')).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        await turns(
          () => f.received.some((m) => isObj(m.message) && m.message.action === 'ping'),
          'a ping after 30 s of silence',
        );
        expect(run.of('input.status').at(-1)?.data).toMatchObject({ state: 'degraded' });

        await vi.advanceTimersByTimeAsync(5_000); // no pong: the connection is given up
        await turns(
          () => run.of('input.status').some((e) => (e.data as { state: string }).state === 'disconnected'),
          'disconnected',
        );
        f.stall(false);
        await vi.advanceTimersByTimeAsync(100); // the reconnect delay
        await turns(() => f.accepted() === 2 && sawTrack(2), 'a new, re-subscribed connection');
        expect(Date.now() - stalledAt).toBeLessThanOrEqual(35_100);
        await turns(
          () =>
            (run.of('input.status').at(-1)?.data as { state?: string } | undefined)?.state === 'connected',
          'connected again',
        );
      } finally {
        vi.useRealTimers();
      }
    });
  },
);

describe.skipIf(!hasFixtures)('mempool input: oversize frames from the server', () => {
  it('refuses and counts a frame over maxFrameBytes and keeps the connection; one over twice the limit re-makes it', async () => {
    const run = await live.start('    maxFrameBytes: 65536\n');
    const f = live.fake as FakeMempool;
    const big = (n: number) => JSON.stringify({ loadingIndicators: { pad: 'x'.repeat(n) } });
    f.sendRaw(big(70_000)); // over the limit, under twice it
    f.pushMempool({ added: loadBlock277647().slice(1, 2) });
    await waitFor(() => run.of('tx.seen').length === 1, 5000, 'the feed after the big frame');
    expect(f.accepted()).toBe(1);
    f.sendRaw(big(140_000)); // over twice the limit: ws closes with 1009
    await subscribed(f, 2);
    const metrics = await run.kernel.metrics.registry.getSingleMetricAsString('spout_input_rejected_total');
    expect(metrics).toContain('spout_input_rejected_total{instance="feed",reason="oversize"} 2');
  });
});
