/**
 * Issue 12 point 2: each defect reproduced as it was reported, through the frame handler and
 * through the running input (fake mempool.space server, kernel in-process). Every test here failed
 * before the validation layer (plugins/inputs/mempool/validate.ts): by a thrown RangeError, a stuck
 * gap recovery, a 1e292 BTC whale, an `unknown-key` count, or a "missed 9007199253903941 block(s)".
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TxSeen, WhaleSignal } from '../../../../src/bus/events.js';
import { handleFrame } from '../../../../plugins/inputs/mempool/frames.js';
import {
  isTrackMempool,
  waitFor,
  type FakeMempool,
  type ProjectedTx,
} from '../../../helpers/fake-mempool.js';
import { FIXTURES_DIR, hasFixtures, loadBlock277647 } from '../../../helpers/fixtures.js';
import { FRAME_NOW, frameSink } from '../../../helpers/frame-sink.js';
import { mempoolInputTests } from '../../../helpers/mempool-input.js';

const BLOCK_ID = '00000000'.padEnd(64, 'a');

describe('the reported frames, through the frame handler', () => {
  it('a block with timestamp 1e13 is refused as bad-time, not thrown (RangeError: Invalid time value)', () => {
    const { s, events, rejected } = frameSink();
    const frame = `{"block":{"id":"${BLOCK_ID}","height":900000,"timestamp":1e13},"mempool-transactions":{"mined":[]}}`;
    expect(() => handleFrame(frame, 1e6, s)).not.toThrow();
    expect(events).toEqual([]);
    expect(rejected).toEqual({ 'bad-time': 1 });
  });

  it('projected-block entries with time 1e13, value 1e300 or 15000000000.5 are refused; the good one is handed on', () => {
    const { s, rejected, projected } = frameSink();
    const t = FRAME_NOW / 1000 - 600;
    const frame = JSON.stringify({
      'projected-block-transactions': {
        index: 0,
        sequence: 7,
        blockTransactions: [
          ['a'.repeat(64), 2250, 225, 250e9, 10, 1, 1e13],
          ['b'.repeat(64), 1000, 200, 1e300, 5, 0, t],
          ['c'.repeat(64), 1000, 200, 15000000000.5, 5, 0, t],
          ['d'.repeat(64), 1000, 200, 20e8, 5, 0, t],
        ],
      },
    });
    expect(() => handleFrame(frame, 1e6, s)).not.toThrow();
    expect(rejected).toEqual({ 'bad-time': 1, 'bad-amount': 2 });
    expect(projected).toHaveLength(1);
    expect(projected[0]?.txs).toHaveLength(1);
    expect(projected[0]?.txs[0]).toMatchObject({ txid: 'd'.repeat(64), valueSats: 20e8, partial: true });
  });

  it.skipIf(!existsSync(`${FIXTURES_DIR}mempool-repo/rbf_01.json`))(
    'the real rbfLatest frame (the answer to track-rbf) is not an unknown key',
    () => {
      const { s, events, rejected } = frameSink();
      handleFrame(readFileSync(`${FIXTURES_DIR}mempool-repo/rbf_01.json`, 'utf8'), 1e6, s);
      expect(rejected).toEqual({});
      expect(events).toEqual([]);
    },
  );
});

const live = mempoolInputTests();

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

async function start() {
  const run = await live.start('detectors:\n  whales: { use: whale, thresholdBtc: 100 }\n');
  const f = live.fake as FakeMempool;
  const rejected = async (): Promise<Record<string, number>> => {
    const text = await run.kernel.metrics.registry.getSingleMetricAsString('spout_input_rejected_total');
    const counts: Record<string, number> = {};
    for (const m of text.matchAll(
      /^spout_input_rejected_total\{[^}]*(?:kind|reason)="([^"]+)"[^}]*\} (\d+)$/gm,
    ))
      counts[m[1] as string] = Number(m[2]);
    return counts;
  };
  // Frames on one connection are handled in order: once this transaction is seen, so is all before.
  let sentinels = 0;
  const settle = async () => {
    const real = loadBlock277647()[1 + sentinels++]!;
    f.pushMempool({ added: [real] });
    await waitFor(
      () => run.of('tx.seen').some((e) => (e.data as TxSeen).txid === real.txid),
      5000,
      'the sentinel transaction',
    );
  };
  return { f, run, rejected, settle };
}

describe.skipIf(!hasFixtures)('the reported frames, through the running input', () => {
  it('a live block with timestamp 1e13 is counted as bad-time and the feed goes on', async () => {
    const { f, run, rejected, settle } = await start();
    f.sendRaw(
      `{"block":{"id":"${BLOCK_ID}","height":900000,"timestamp":1e13},"mempool-transactions":{"mined":[]}}`,
    );
    await settle();
    expect(run.of('block.connected')).toEqual([]);
    expect(await rejected()).toEqual({ 'bad-time': 1 });
    expect(f.accepted()).toBe(1);
  });

  it('gap recovery: an answer with time 1e13 is refused, the recovery completes and finds the good entry', async () => {
    const { f, run, rejected } = await start();
    const t = Math.floor(Date.now() / 1000) - 600;
    f.setProjectedBlockTransactions(0, [
      ['a'.repeat(64), 2250, 225, 250e9, 10, 1, 1e13],
      ['d'.repeat(64), 1000, 200, 20e8, 5, 0, t],
    ]);
    f.dropAll();
    await f.waitForMessage(isTrackMempool(2));
    await f.waitForMessage(
      (m) => m.conn === 2 && isObj(m.message) && m.message['track-mempool-block'] === -1,
    );
    expect(run.of('tx.seen').map((e) => (e.data as TxSeen).txid)).toEqual(['d'.repeat(64)]);
    expect(await rejected()).toEqual({ 'bad-time': 1 });
  });

  it('gap recovery: values 1e300 and 15000000000.5 are refused as bad-amount, and make no whale', async () => {
    const { f, run, rejected } = await start();
    const t = Math.floor(Date.now() / 1000) - 600;
    const entries: ProjectedTx[] = [
      ['b'.repeat(64), 1000, 200, 1e300, 5, 0, t],
      ['c'.repeat(64), 1000, 200, 15000000000.5, 5, 0, t],
      ['e'.repeat(64), 2250, 225, 250e9, 10, 1, t], // a real-sized whale: 2,500 BTC
    ];
    f.setProjectedBlockTransactions(0, entries);
    f.dropAll();
    await f.waitForMessage(
      (m) => m.conn === 2 && isObj(m.message) && m.message['track-mempool-block'] === -1,
    );
    await waitFor(() => run.of('whale.detected').length === 1, 5000, 'the real-sized whale');
    await run.kernel.bus.drain();
    expect(run.of('whale.detected').map((e) => (e.data as WhaleSignal).txid)).toEqual(['e'.repeat(64)]);
    expect(run.of('tx.seen').map((e) => (e.data as TxSeen).valueSats)).toEqual([250e9]);
    expect(await rejected()).toEqual({ 'bad-amount': 2 });
  });

  it('rbfLatest, the answer to its own track-rbf, is not counted as an unknown key', async () => {
    const { f, rejected, settle } = await start();
    // The subscription's answer carried `rbfLatest`; a replacement makes the server send it again.
    const [pair] = (await import('../../../helpers/fixtures.js')).loadRbfPairs();
    f.pushMempool({ added: [pair!.replaced] });
    f.pushMempool({ replaced: [{ replaced: pair!.replaced.txid, by: pair!.by }] });
    await settle();
    expect(await rejected()).toEqual({});
  });

  it('an absurd height is refused (bad-height, implausible-height) and never logged as millions of missed blocks', async () => {
    const { f, run, rejected, settle } = await start();
    const now = Math.floor(Date.now() / 1000);
    const block = (height: number, id = BLOCK_ID) => ({ id, height, timestamp: now });
    // The init payload's tip is 837050.
    f.sendRaw(JSON.stringify({ blocks: [block(Number.MAX_SAFE_INTEGER)] }));
    f.sendRaw(JSON.stringify({ block: block(Number.MAX_SAFE_INTEGER) }));
    f.sendRaw(JSON.stringify({ blocks: [block(5_837_050)] })); // a height, but 5 million blocks ahead
    await settle();
    expect(run.of('block.connected')).toEqual([]);
    expect(await rejected()).toEqual({ 'bad-height': 2, 'implausible-height': 1 });
    expect(run.log.lines.filter((l) => String(l.msg).includes('missed'))).toEqual([]);
    // A real gap is still reported, with its real size.
    f.sendRaw(JSON.stringify({ blocks: [block(837_053)] }));
    await settle();
    expect(run.log.lines.filter((l) => String(l.msg).includes('missed')).map((l) => l.msg)).toEqual([
      'missed 3 block(s) while disconnected; their confirmations are not reported',
    ]);
  });
});
