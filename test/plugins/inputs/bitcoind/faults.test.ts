/**
 * The bitcoind input when things go wrong, on the fake Core with the real bytes of block 277647:
 * a reorg that sends transactions back to the mempool, a block arriving while the RPC is down, a
 * new cookie (bitcoind restarted), a node publishing on other ports than configured, only
 * `hashblock` for blocks, and answers the input cannot read.
 */
import { readFileSync } from 'node:fs';
import { Block, networks, type Transaction } from 'bitcoinjs-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { createIntake } from '../../../../plugins/inputs/bitcoind/intake.js';
import type { Rpc } from '../../../../plugins/inputs/bitcoind/rpc.js';
import { createNodeState } from '../../../../plugins/inputs/bitcoind/state.js';
import type { AnyEnvelope } from '../../../../src/bus/envelope.js';
import { BLOCK_277647_HEX, startFakeCore, type FakeCore } from '../../../helpers/fake-core.js';
import { hasFixtures } from '../../../helpers/fixtures.js';
import { turns } from '../../../helpers/receiver.js';
import { runYaml } from '../../../helpers/run-yaml.js';

type Run = Awaited<ReturnType<typeof runYaml>>;

describe.skipIf(!hasFixtures)('bitcoind input: faults', () => {
  let fake: FakeCore | null = null;
  let run: Run | null = null;
  afterEach(async () => {
    await run?.stop();
    await fake?.close();
    run = fake = null;
  });

  const txs = (): Transaction[] =>
    Block.fromHex(readFileSync(BLOCK_277647_HEX, 'utf8').trim()).transactions!.slice(1);
  const data = <T>(e: AnyEnvelope) => e.data as T;
  const until = (what: string, cond: () => boolean) => turns(cond, what, 10_000);
  const states = () => run!.of('input.status').map((e) => data<{ state: string; reason?: string }>(e));
  const projected = (n: number) => () =>
    run!
      .of('mempool.stats')
      .some((e) => data<{ projectedBlocks: Array<{ nTx: number }> }>(e).projectedBlocks[0]?.nTx === n);

  /** `zmq`: the input's zmq option for the fake's endpoint (default: that endpoint for all topics). */
  async function start(zmq: (url: string) => string = (url) => url, connects = true) {
    fake = await startFakeCore();
    run = await runYaml(
      [
        'inputs:',
        '  node:',
        '    use: bitcoind',
        `    rpcUrl: "${fake.rpcUrl}"`,
        `    cookieFile: "${fake.cookieFile}"`,
        `    zmq: ${zmq(JSON.stringify(fake.zmqUrl))}`,
        '    backoffMin: 50ms',
        '    backoffMax: 200ms',
        '    statsEvery: 50ms',
        'detectors:',
        '  whales: { use: whale, thresholdBtc: 100 }',
        'jobs:',
        '  correlation: { use: correlation }',
      ].join('\n'),
      { readsEveryTx: true },
    );
    if (connects) await until('connected', () => states().some((s) => s.state === 'connected'));
  }

  it('a disconnected block’s transactions return to the projected blocks, not announced again', async () => {
    await start();
    await fake!.waitForSubscriber(['rawtx', 'sequence', 'rawblock']);
    const some = txs().slice(0, 12);
    for (const tx of some) await fake!.addTx(tx, { fee: 2_000 });
    await until('12 seen', () => run!.of('tx.seen').length === 12);
    await fake!.connectBlock(some.slice(0, 8));
    await until('4 left projected', projected(4));
    await fake!.disconnectTip();
    await until('disconnected', () => run!.of('block.disconnected').length === 1);
    await until('12 projected again', projected(12));
    expect(run!.of('tx.seen')).toHaveLength(12);
  });

  it('a block arriving while the RPC is down is fetched once it is back: its whales confirm, none is removed', async () => {
    await start();
    await fake!.waitForSubscriber(['rawtx', 'sequence', 'rawblock']);
    const whale = txs().find((t) => t.getId().startsWith('5143ba55'))!;
    await fake!.addTx(whale, { fee: 1_000 });
    await until('whale', () => run!.of('whale.detected').length === 1);
    await fake!.rpcDown(true, 'refuse');
    await fake!.connectBlock([whale]);
    await until('degraded', () => states().some((s) => s.state === 'degraded'));
    await fake!.rpcDown(false);
    await until('confirmed', () => run!.of('whale.confirmed').length === 1);
    expect(run!.of('block.connected')).toHaveLength(1);
    expect(run!.of('tx.removed')).toHaveLength(0);
  });

  it('re-reads the cookie when bitcoind restarted with a new one: no outage is reported', async () => {
    await start();
    await fake!.waitForSubscriber(['rawtx', 'sequence', 'rawblock']);
    await fake!.rotateCookie();
    await fake!.addTx(txs()[0]!, { fee: 1_000 });
    await until('seen', () => run!.of('tx.seen').length === 1);
    expect(states().map((s) => s.state)).toEqual(['connecting', 'connected']);
  });

  it('only hashblock for blocks: they connect all the same', async () => {
    await start((url) => `{ rawtx: ${url}, sequence: ${url}, hashblock: ${url} }`);
    await fake!.waitForSubscriber(['rawtx', 'sequence', 'hashblock']);
    await fake!.connectBlock(txs().slice(0, 3));
    await until('block', () => run!.of('block.connected').length === 1);
  });

  it('says which zmqpub line is wrong when the node publishes a topic elsewhere', async () => {
    await start((url) => `{ rawtx: ${url}, sequence: ${url}, rawblock: "tcp://127.0.0.1:9" }`, false);
    await until('a problem', () =>
      states().some((s) =>
        /publishes rawblock on tcp:\/\/127\.0\.0\.1:\d+, not on tcp:\/\/127\.0\.0\.1:9/.test(s.reason ?? ''),
      ),
    );
    expect(
      run!.log.lines.some(
        (l) =>
          ['error', 50].includes(l.level as string) &&
          /zmqpubrawblock=tcp:\/\/127\.0\.0\.1:9/.test(String(l.msg)),
      ),
    ).toBe(true);
  });
});

describe('bitcoind input: answers it cannot read', () => {
  it('a mempool entry that is not one is refused; the rest of the batch goes on; nothing throws', async () => {
    const tx = Block.fromHex(readFileSync(BLOCK_277647_HEX, 'utf8').trim()).transactions![1]!;
    const other = Block.fromHex(readFileSync(BLOCK_277647_HEX, 'utf8').trim()).transactions![2]!;
    const entry = { vsize: 200, time: 1_700_000_000, fees: { base: 0.0001 }, depends: [] };
    const rpc: Rpc = {
      call: async <T>() => null as T,
      batch: async (calls) =>
        calls.map((c) => ({ result: c.params?.[0] === tx.getId() ? { vsize: 'x', fees: null } : entry })),
    };
    const seen: string[] = [];
    const state = createNodeState({
      rpc,
      network: networks.bitcoin,
      seenCapacity: 100,
      projectedBlocks: 1,
      publish: () => {},
      announce: (t) => void seen.push(t.txid),
    });
    const refused: string[] = [];
    const intake = createIntake({
      state,
      reject: (why) => void refused.push(why),
      rpcFailed: () => {},
      prevoutFloor: () => null,
    });
    intake.rawtx(tx.toBuffer());
    intake.rawtx(other.toBuffer());
    intake.rawtx(new Uint8Array([1, 2, 3]));
    await intake.idle();
    expect(seen).toEqual([other.getId()]);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(/not a transaction/);
    expect(refused[1]).toBe(`getmempoolentry ${tx.getId()}: not a mempool entry`);
  });
});
