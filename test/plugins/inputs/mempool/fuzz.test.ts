/**
 * Issue 12 point 3: a seeded fuzz of the mempool input through the fake mempool.space server, with
 * the kernel (and its HTTP server) running in this process. Thousands of bad frames — not JSON,
 * truncated, deeply nested, of the wrong type or out of range in every field of every message the
 * input reads, non-hex and unicode ids, `__proto__` / `constructor` keys, duplicated keys, sizes at
 * and around the frame limit — live and as gap-recovery answers; then the 212 real transactions of
 * block 277647. The same process and input must still be up, find exactly the 3 real whales, answer
 * /health, count every refusal by reason (never `internal`), and have published nothing for a
 * refused item. Reproduce a run with SPOUT_FUZZ_SEED=<seed>.
 */
import { describe, expect, it } from 'vitest';
import type { AnyEnvelope } from '../../../../src/bus/envelope.js';
import type { BlockConnected, TxSeen, WhaleSignal } from '../../../../src/bus/events.js';
import { parseConfig } from '../../../helpers/builtins.js';
import { createKernel } from '../../../../src/kernel/kernel.js';
import { createMemoryStore } from '../../../../src/store/memory.js';
import { REJECT_REASONS } from '../../../../plugins/inputs/mempool/validate.js';
import {
  isTrackMempool,
  startFakeMempool,
  waitFor,
  type FakeMempool,
  type ProjectedTx,
} from '../../../helpers/fake-mempool.js';
import {
  extendTx,
  hasFixtures,
  loadBlock277647,
  loadBlock277647Header,
  loadInitPayload,
} from '../../../helpers/fixtures.js';
import { captureLog } from '../../../helpers/kernel.js';
import {
  badCompressedEntries,
  connectionClosingFrame,
  controlEntry,
  controlFrames,
  controlTxid,
  garbageFrame,
  oversizeFrames,
  paddedTxFrame,
  randomFrame,
  Rand,
  systematicFrames,
  type Frame,
  type FuzzContext,
} from './fuzz-frames.js';

const SEED = Number(process.env.SPOUT_FUZZ_SEED ?? 20_261_204);
const MAX_FRAME = 256 * 1024;
const RANDOM_FRAMES = 4_000;
const WHALES: Record<string, number> = {
  d3852055: 10_302_775_338,
  '5143ba55': 92_700_000_000,
  '712db987': 13_330_798_472,
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

async function startSpout(fake: FakeMempool) {
  const yaml = [
    'http: { listen: "127.0.0.1:0" }',
    'log: { level: info, format: json }',
    'inputs:',
    '  feed:',
    '    use: mempool',
    `    url: ${fake.url}`,
    '    backoffMin: 50ms',
    '    backoffMax: 200ms',
    `    maxFrameBytes: ${MAX_FRAME}`,
    '    recoverMinBtc: 10',
    'detectors:',
    '  whales: { use: whale, thresholdBtc: 100 }',
    '',
  ].join('\n');
  const config = await parseConfig(yaml, 'fuzz.yaml', process.cwd(), {});
  const log = captureLog();
  const kernel = createKernel({ config, log: log.log, store: createMemoryStore() });
  const events: AnyEnvelope[] = [];
  kernel.bus.tap((e) => void events.push(e));
  // A reader of every tx.seen: the input then reads each transaction (none skipped below the
  // whale threshold), which is what is fuzzed here.
  kernel.bus.subscribe('every-tx-reader', ['tx.seen'], () => {});
  const address = await kernel.start();
  if (!address) throw new Error('no HTTP address');
  return { kernel, log, events, base: `http://127.0.0.1:${address.port}` };
}

describe.skipIf(!hasFixtures)(`mempool input fuzz through the fake server (seed ${SEED})`, () => {
  it('survives every bad frame live and in gap recovery, publishes nothing refused, then finds exactly the 3 real whales of block 277647', async () => {
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => void crashes.push(error);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    const fake = await startFakeMempool();
    const spout = await startSpout(fake);
    const began = Date.now();
    try {
      const { kernel, events, log, base } = spout;
      const of = (type: string) => events.filter((e) => e.type === type);
      const seenIds = () => of('tx.seen').map((e) => (e.data as TxSeen).txid);

      const block = loadBlock277647();
      const init = loadInitPayload();
      const recent = init.blocks as Array<{ height: number; timestamp: number }>;
      const now = Math.floor(Date.now() / 1000);
      const whaleTx = block.find((t) => t.txid.startsWith('5143ba55'))!;
      const ctx: FuzzContext = {
        rand: new Rand(SEED),
        now,
        tip: recent.reduce((a, b) => (b.height > a.height ? b : a)),
        whale: extendTx(whaleTx, now - 60),
        small: block
          .slice(1)
          .filter((t) => t.vout.reduce((s, o) => s + o.value, 0) < 50e8 && JSON.stringify(t).length < 3000)
          .slice(0, 20)
          .map((t) => extendTx(t, now - 60)),
        init,
      };
      const r = ctx.rand;
      // Frames on one connection are handled in order: once this control transaction is seen, all
      // frames sent before it have been.
      const settle = async () => {
        const tx = { ...ctx.small[0]!, txid: controlTxid() };
        fake.sendRaw(paddedTxFrame(tx, 8000));
        await waitFor(() => seenIds().includes(tx.txid), 10_000, `sentinel ${tx.txid}`);
        return tx.txid;
      };

      // Phase 0: connected, the init payload and the subscription's answers handled.
      await fake.waitForMessage(isTrackMempool(1));
      const sentinels = [await settle()];
      const statsBefore = of('mempool.stats').length;
      expect(statsBefore).toBeGreaterThan(0);

      // Phase 1: live. Every field of every message with every kind of bad value, then seeded
      // random frames, with valid "control" transactions in odd clothing at seeded places.
      const live: Frame[] = [
        ...systematicFrames(ctx),
        ...Array.from({ length: RANDOM_FRAMES }, () =>
          r.chance(0.35) ? garbageFrame(ctx) : randomFrame(ctx),
        ),
      ];
      const controls = controlFrames(ctx, MAX_FRAME);
      for (const c of controls.frames) live.splice(r.int(0, live.length), 0, c);
      live.push(...oversizeFrames(ctx, MAX_FRAME));
      for (const f of live) fake.sendRaw(f.text);
      sentinels.push(await settle());

      expect(new Set(seenIds())).toEqual(new Set([...controls.txids, ...sentinels]));
      expect(seenIds()).toHaveLength(controls.txids.length + sentinels.length);
      for (const type of ['tx.replaced', 'tx.removed', 'block.connected', 'whale.detected'])
        expect(of(type), type).toEqual([]);
      expect(of('mempool.stats')).toHaveLength(statsBefore);
      expect(fake.accepted()).toBe(1); // nothing closed the connection
      expect(crashes).toEqual([]);

      // Phase 2: gap recovery. Projected block 0 through the fake's list (numbers out of range),
      // blocks 1–7 as raw answers (garbage first, then an answer of some odd shape). A frame over
      // twice the limit makes the WebSocket library close the connection: the input reconnects
      // and recovers.
      const t = ctx.now - 300;
      const R = {
        fifty: controlEntry(ctx, 50, t),
        twentyTimeUnknown: controlEntry(ctx, 20, 0),
        oneBelowMin: controlEntry(ctx, 1, t),
        sixty: controlEntry(ctx, 60, t),
        thirtyExtraFields: [...controlEntry(ctx, 30, t), 1, 'ignored', { x: 1 }],
      };
      const bad = (n: number) => badCompressedEntries(ctx, n);
      fake.setProjectedBlockTransactions(0, [
        ...(badCompressedEntries(ctx, 40, true) as ProjectedTx[]),
        R.fifty,
        R.twentyTimeUnknown,
        R.oneBelowMin,
      ]);
      const pbt = (body: unknown) => JSON.stringify({ 'projected-block-transactions': body });
      const validWhaleEntry = () => [`fa11${'f'.repeat(60)}`, 1000, 225, 500e8, 4.4, 0, t];
      const finals: Record<number, string> = {
        1: pbt({ index: 1, blockTransactions: 'x' }),
        2:
          `{"projected-block-transactions":${JSON.stringify({ index: 2, blockTransactions: [validWhaleEntry()] })},` +
          `"projected-block-transactions":${JSON.stringify({ index: 2, blockTransactions: bad(5) })}}`,
        3: `{"projected-block-transactions":{"index":3,"__proto__":{"blockTransactions":[${JSON.stringify(validWhaleEntry())}]},"constructor":{"blockTransactions":[]}}}`,
        4: pbt({ index: 4, blockTransactions: [...bad(10), R.sixty] }),
        5: `{"projected-block-transactions":{"index":5,"blockTransactions":[${'['.repeat(5000)}${']'.repeat(5000)}]}}`,
        6: pbt({ index: 6, blockTransactions: [] }),
        7: pbt({ index: 7, blockTransactions: [...bad(10), R.thirtyExtraFields] }),
      };
      for (let i = 1; i <= 7; i++) {
        const garbage = Array.from({ length: r.int(1, 4) }, () => garbageFrame(ctx).text);
        // A stale answer (another index) with a valid whale: not what recovery waits for, ignored.
        if (i === 6) garbage.push(pbt({ index: 0, blockTransactions: [validWhaleEntry()] }));
        fake.setProjectedBlockReply(i, [...garbage, finals[i]!]);
      }
      fake.sendRaw(connectionClosingFrame(ctx, MAX_FRAME).text);
      await fake.waitForMessage(
        (m) => m.conn === 2 && isObj(m.message) && m.message['track-mempool-block'] === -1,
        20_000,
      );
      const asked = fake.received
        .filter((m) => m.conn === 2 && isObj(m.message) && 'track-mempool-block' in m.message)
        .map((m) => (m.message as Record<string, unknown>)['track-mempool-block']);
      expect(asked).toEqual([0, 1, 2, 3, 4, 5, 6, 7, -1]);
      const recovered = of('tx.seen')
        .map((e) => e.data as TxSeen)
        .filter((tx) => tx.partial);
      expect(new Map(recovered.map((tx) => [tx.txid, tx.valueSats]))).toEqual(
        new Map([
          [R.fifty[0], 50e8],
          [R.twentyTimeUnknown[0], 20e8],
          [R.sixty[0], 60e8],
          [R.thirtyExtraFields[0] as string, 30e8],
        ]),
      );
      expect(recovered).toHaveLength(4);
      for (const tx of recovered) expect(Number.isNaN(Date.parse(tx.firstSeen))).toBe(false);
      expect(fake.accepted()).toBe(2);

      // Phase 3: the real transactions of block 277647, one frame each, then the block.
      const mempool = block.slice(1);
      for (const tx of mempool) fake.pushMempool({ added: [tx] });
      const realIds = new Set(mempool.map((tx) => tx.txid));
      await waitFor(
        () => seenIds().filter((id) => realIds.has(id)).length === 212,
        20_000,
        '212 real tx.seen',
      );
      await waitFor(() => of('whale.detected').length >= 3, 10_000, 'the 3 whales');
      await kernel.bus.drain();
      const whales = of('whale.detected').map((e) => e.data as WhaleSignal);
      expect(Object.fromEntries(whales.map((w) => [w.txid.slice(0, 8), w.valueSats]))).toEqual(WHALES);
      expect(whales).toHaveLength(3);
      for (const w of whales) expect(w.valueBtc).toBe(w.valueSats / 1e8);
      const header = loadBlock277647Header();
      fake.pushBlock(
        { id: header.id, height: header.height, timestamp: header.timestamp, tx_count: 213 },
        block.map((tx) => tx.txid),
      );
      await waitFor(() => of('block.connected').length === 1, 10_000, 'block.connected');
      expect(of('block.connected')[0]?.data as BlockConnected).toMatchObject({
        height: 277647,
        hash: header.id,
        txids: block.map((tx) => tx.txid),
      });

      // The same process and input, alive and well.
      expect(crashes).toEqual([]);
      expect(kernel.state()).toBe('running');
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      const report = (await health.json()) as {
        status: string;
        instances: Record<string, { state: string }>;
      };
      expect(report.status).toBe('healthy');
      expect(report.instances.feed?.state).toBe('healthy');

      // Nothing published for a refused item: no `fa11…` id anywhere, ever.
      const leaked = events.filter((e) => JSON.stringify(e.data).includes('"fa11'));
      expect(leaked.map((e) => e.type)).toEqual([]);

      // Every refusal counted by reason; every reason exercised; none was an internal error.
      const metrics = await (await fetch(`${base}/metrics`)).text();
      const counts: Record<string, number> = {};
      for (const m of metrics.matchAll(
        /^spout_input_rejected_total\{instance="feed",reason="([^"]+)"\} (\d+)$/gm,
      ))
        counts[m[1] as string] = Number(m[2]);
      expect(counts.internal).toBeUndefined();
      expect(Object.keys(counts).sort()).toEqual(REJECT_REASONS.filter((x) => x !== 'internal').sort());
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThan(live.length / 2);

      // Logged at a bounded rate (the first of each reason, then one summary per 10 s), and never
      // as a huge number of missed blocks.
      const windows = 1 + Math.ceil((Date.now() - began) / 10_000);
      const warnings = log.lines.filter((l) => String(l.msg).startsWith('ignored bad input'));
      expect(warnings.length).toBeLessThanOrEqual(REJECT_REASONS.length * windows);
      expect(log.lines.filter((l) => /missed \d+ block/.test(String(l.msg)))).toEqual([]);
    } finally {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      await spout.kernel.stop();
      await fake.close();
    }
  }, 120_000);
});
