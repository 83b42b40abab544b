/**
 * Issue 19, acceptance: the bitcoind input against a fake Bitcoin Core on loopback (a ZMQ
 * publisher sending Core's exact multipart notifications, and a JSON-RPC server), fed with the
 * real bytes of mainnet block 277647. The three real whales of that block are detected with the
 * right values and confirm when the block connects; a replacement is announced before the
 * replacement's tx.seen; a reorg disconnects and reconnects; a dropped notification makes the
 * input line up again with nothing missed or doubled; an RPC outage shows in input.status and
 * heals.
 */
import { readFileSync } from 'node:fs';
import { Block, type Transaction } from 'bitcoinjs-lib';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyEnvelope } from '../../../../src/bus/envelope.js';
import type { EventType } from '../../../../src/bus/events.js';
import { BLOCK_277647_HEX, spendingTx, startFakeCore, type FakeCore } from '../../../helpers/fake-core.js';
import { hasFixtures } from '../../../helpers/fixtures.js';
import { turns } from '../../../helpers/receiver.js';
import { runYaml } from '../../../helpers/run-yaml.js';

const WHALES = {
  d3852055: 10_302_775_338,
  '5143ba55': 92_700_000_000,
  '712db987': 13_330_798_472,
};

type Run = Awaited<ReturnType<typeof runYaml>>;

describe.skipIf(!hasFixtures)('bitcoind input on a fake Core with mainnet block 277647', () => {
  let fake: FakeCore | null = null;
  let run: Run | null = null;
  afterEach(async () => {
    await run?.stop();
    await fake?.close();
    run = fake = null;
  });

  const block = () => Block.fromHex(readFileSync(BLOCK_277647_HEX, 'utf8').trim());
  const valueOf = (tx: Transaction) => tx.outs.reduce((s, o) => s + Number(o.value), 0);
  const data = <T>(e: AnyEnvelope) => e.data as T;
  const of = <T>(type: EventType) => run!.of(type).map((e) => data<T>(e));
  const until = (what: string, cond: () => boolean, ms = 10_000) => turns(cond, what, ms);
  const connected = () =>
    until('input.status connected', () =>
      run!.of('input.status').some((e) => data<{ state: string }>(e).state === 'connected'),
    );

  async function start(extra = '', options: Partial<Record<string, string>> = {}) {
    fake = await startFakeCore();
    const lines = {
      rpcUrl: fake.rpcUrl,
      cookieFile: fake.cookieFile,
      zmq: fake.zmqUrl,
      backoffMin: '50ms',
      backoffMax: '200ms',
      heartbeat: '1s',
      statsEvery: '50ms',
      recoverMinBtc: '100',
      ...options,
    };
    const input = Object.entries(lines)
      .map(([k, v]) => `    ${k}: ${/^(\d+|\{.*\})$/.test(v!) ? v : JSON.stringify(v)}`)
      .join('\n');
    run = await runYaml(
      `inputs:\n  node:\n    use: bitcoind\n${input}\ndetectors:\n  whales: { use: whale, thresholdBtc: 100 }\njobs:\n  correlation: { use: correlation }\n${extra}`,
      { readsEveryTx: true },
    );
    await fake.waitForSubscriber(['rawtx', 'sequence', 'rawblock']);
    await connected();
    return run;
  }

  it('detects the three real whales with their values, publishes projected blocks, and confirms them with the block', async () => {
    await start('', { price: '{ usd: 69880 }' });
    const txs = block().transactions!.slice(1);
    for (const tx of txs) await fake!.addTx(tx, { fee: 10_000 + (valueOf(tx) % 5_000) });
    await until('three whales', () => run!.of('whale.detected').length === 3);
    const detected = of<{ txid: string; valueSats: number; valueUsd: number }>('whale.detected');
    expect(Object.fromEntries(detected.map((w) => [w.txid.slice(0, 8), w.valueSats]))).toEqual(WHALES);
    expect(detected.find((w) => w.txid.startsWith('5143ba55'))!.valueUsd).toBe(64_778_760);
    await until('all 212 seen', () => run!.of('tx.seen').length === 212);
    const seen = of<{
      txid: string;
      feeSats: number;
      vsize: number;
      outputs: unknown[];
      rbfSignaling: boolean;
    }>('tx.seen');
    expect(new Set(seen.map((t) => t.txid)).size).toBe(212);
    const first = seen.find((t) => t.txid === txs[0]!.getId())!;
    expect(first.feeSats).toBe(10_000 + (valueOf(txs[0]!) % 5_000));
    expect(first.vsize).toBe(txs[0]!.virtualSize());
    expect(first.outputs).toHaveLength(txs[0]!.outs.length);

    await until('projected blocks of the 212', () =>
      run!
        .of('mempool.stats')
        .some((e) => data<{ projectedBlocks: Array<{ nTx: number }> }>(e).projectedBlocks[0]?.nTx === 212),
    );
    const stats = of<{
      projectedBlocks: Array<{ feeRange: number[]; medianFee: number; vsize: number }>;
      mempoolVsize: number;
      recommendedFees: unknown;
    }>('mempool.stats').at(-1)!;
    expect(stats.mempoolVsize).toBe(txs.reduce((s, t) => s + t.virtualSize(), 0));
    const next = stats.projectedBlocks[0]!;
    expect(next.feeRange).toEqual([...next.feeRange].sort((a, b) => a - b));
    expect(next.feeRange[0]).toBeGreaterThan(1); // the lowest paid 10,000 sats for at most 9 kvB
    expect(next.medianFee).toBe(0); // under half a block: mempool.space's median of the middle 10 kWU is 0
    expect(stats.recommendedFees).toMatchObject({ fastestFee: 10, minimumFee: 1 });

    await fake!.connectBlock(block());
    await until('block connected', () => run!.of('block.connected').length > 0);
    const connectedBlock = of<{ height: number; hash: string; txids: string[]; time: string }>(
      'block.connected',
    )[0]!;
    expect(connectedBlock).toMatchObject({
      height: 277_647,
      hash: '0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8',
      time: new Date(1388367102 * 1000).toISOString(),
    });
    expect(connectedBlock.txids).toHaveLength(213);
    await until('three confirmed', () => run!.of('whale.confirmed').length === 3);
    expect(of<{ height: number }>('whale.confirmed').every((c) => c.height === 277_647)).toBe(true);
    // The block's 213 rawtx notifications announce nothing again; nothing was removed.
    expect(run!.of('tx.seen')).toHaveLength(212);
    expect(run!.of('tx.removed')).toHaveLength(0);
  });

  it('announces a replacement as tx.replaced before the replacement’s tx.seen, full RBF when it did not signal', async () => {
    await start();
    const whale = block().transactions!.find((t) => t.getId().startsWith('5143ba55'))!;
    await fake!.addTx(whale, { fee: 5_000 });
    const a = spendingTx(whale.getId(), 0, 200n * 100_000_000n); // signals (sequence 0xfffffffd)
    await fake!.addTx(a, { fee: 1_000 });
    await until('a seen', () => run!.of('tx.seen').some((e) => data<{ txid: string }>(e).txid === a.getId()));
    const b = spendingTx(whale.getId(), 0, 199n * 100_000_000n, 0xffffffff);
    await fake!.addTx(b, { fee: 50_000 });
    await until('b seen', () => run!.of('tx.seen').some((e) => data<{ txid: string }>(e).txid === b.getId()));
    const order = run!.events
      .filter(
        (e) =>
          e.type === 'tx.replaced' || (e.type === 'tx.seen' && data<{ txid: string }>(e).txid === b.getId()),
      )
      .map((e) => e.type);
    expect(order).toEqual(['tx.replaced', 'tx.seen']);
    expect(of('tx.replaced')).toEqual([{ txid: a.getId(), byTxid: b.getId(), fullRbf: false }]);
    const c = spendingTx(whale.getId(), 0, 198n * 100_000_000n);
    await fake!.addTx(c, { fee: 90_000 });
    await until('c replaced b', () => run!.of('tx.replaced').length === 2);
    expect(of('tx.replaced')[1]).toEqual({ txid: b.getId(), byTxid: c.getId(), fullRbf: true });
    // The whale replaced twice is settled by the correlation job once, as replaced.
    await until('whale.replaced', () => run!.of('whale.replaced').length >= 1);
    expect(of<{ txid: string; byTxid: string }>('whale.replaced')[0]).toMatchObject({
      txid: a.getId(),
      byTxid: b.getId(),
    });
    // A removal that is no replacement becomes tx.removed.
    await fake!.removeTx(c.getId());
    // Decided once a later notification shows no replacement followed (mainnet never pauses).
    await fake!.addTx(spendingTx('ab'.repeat(32), 0), { fee: 500 });
    await until('c removed', () => run!.of('tx.removed').length === 1);
    expect(of('tx.removed')).toEqual([{ txid: c.getId(), reason: 'unknown' }]);
  });

  it('a reorg: the block is disconnected and the new one connected; nothing is announced twice', async () => {
    await start();
    const txs = block().transactions!.slice(1, 40);
    for (const tx of txs) await fake!.addTx(tx, { fee: 2_000 });
    await until('39 seen', () => run!.of('tx.seen').length === 39);
    const first = await fake!.connectBlock(txs.slice(0, 20));
    await until('first block', () => run!.of('block.connected').length === 1);
    const third = await fake!.reorg(1, [txs.slice(0, 30), []]);
    const second = fake!.node.chain.at(-2)!;
    expect(second.height).toBe(first.height);
    await until('disconnect and two connects', () => run!.of('block.connected').length === 3);
    expect(of('block.disconnected')).toEqual([
      { height: first.height, hash: first.hash, txids: first.txids },
    ]);
    const blocks = of<{ height: number; hash: string; txids: string[] }>('block.connected');
    expect(blocks.map((b) => [b.height, b.hash])).toEqual([
      [first.height, first.hash],
      [first.height, second.hash],
      [first.height + 1, third.hash],
    ]);
    const disconnectedAt = run!.events.findIndex((e) => e.type === 'block.disconnected');
    const reconnectedAt = run!.events.findIndex(
      (e) => e.type === 'block.connected' && data<{ hash: string }>(e).hash === second.hash,
    );
    expect(disconnectedAt).toBeGreaterThan(0);
    expect(reconnectedAt).toBeGreaterThan(disconnectedAt);
    expect(run!.of('tx.seen')).toHaveLength(39);
    // The 9 left in the mempool are projected; the 30 mined are not.
    await until('9 projected', () =>
      run!
        .of('mempool.stats')
        .some((e) => data<{ projectedBlocks: Array<{ nTx: number }> }>(e).projectedBlocks[0]?.nTx === 9),
    );
  });

  it('a dropped notification (sequence gap) makes it line up with the node: nothing missed, nothing doubled', async () => {
    await start();
    const txs = block().transactions!.slice(1);
    const whale = txs.find((t) => t.getId().startsWith('d3852055'))!;
    const others = txs.filter((t) => valueOf(t) < 100e8).slice(0, 20);
    for (const tx of others.slice(0, 10)) await fake!.addTx(tx, { fee: 1_000 });
    await until('10 seen', () => run!.of('tx.seen').length === 10);
    fake!.dropNext('rawtx');
    await fake!.addTx(whale, { fee: 1_000 }); // its rawtx never arrives
    for (const tx of others.slice(10)) await fake!.addTx(tx, { fee: 1_000 });
    await until('21 seen', () => run!.of('tx.seen').length === 21);
    await until('the whale', () => run!.of('whale.detected').length === 1);
    expect(of<{ txid: string }>('whale.detected')[0]!.txid).toBe(whale.getId());
    expect(new Set(of<{ txid: string }>('tx.seen').map((t) => t.txid)).size).toBe(21);
    expect(run!.log.lines.some((l) => /rawtx notifications were lost/.test(String(l.msg)))).toBe(true);
  });

  it('RPC down: input.status says so; back up: connected again and what arrived meanwhile is announced', async () => {
    await start();
    await fake!.rpcDown(true, 'refuse');
    const whale = block().transactions!.find((t) => t.getId().startsWith('712db987'))!;
    await fake!.addTx(whale, { fee: 1_000 });
    await until('degraded', () =>
      run!.of('input.status').some((e) => data<{ state: string; reason?: string }>(e).state === 'degraded'),
    );
    const degraded = of<{ state: string; reason: string }>('input.status').find(
      (s) => s.state === 'degraded',
    )!;
    expect(degraded.reason).toMatch(
      /^RPC at http:\/\/127\.0\.0\.1:\d+\/: cannot reach bitcoind RPC .*(connection refused|connection reset)/,
    );
    expect(run!.of('tx.seen')).toHaveLength(0);
    const before = run!.of('input.status').length;
    await fake!.rpcDown(false);
    await until('connected again', () =>
      run!
        .of('input.status')
        .slice(before)
        .some((e) => data<{ state: string }>(e).state === 'connected'),
    );
    await until('the whale', () => run!.of('whale.detected').length === 1);
    expect(of<{ valueSats: number }>('whale.detected')[0]!.valueSats).toBe(WHALES['712db987']);
  });

  it('at start, the whales already waiting are announced, most valuable first; smaller ones are not', async () => {
    fake = await startFakeCore();
    const txs = block().transactions!.slice(1);
    for (const tx of txs) await fake.addTx(tx, { fee: 3_000 });
    const lines = `    rpcUrl: "${fake.rpcUrl}"\n    cookieFile: "${fake.cookieFile}"\n    zmq: "${fake.zmqUrl}"\n    recoverMinBtc: 100\n    statsEvery: 1h\n    price: { usd: 69880 }`;
    run = await runYaml(
      `inputs:\n  node:\n    use: bitcoind\n${lines}\ndetectors:\n  whales: { use: whale, thresholdBtc: 100 }\n`,
      { readsEveryTx: true },
    );
    await until('three announced', () => run!.of('tx.seen').length === 3);
    expect(of<{ txid: string }>('tx.seen').map((t) => t.txid.slice(0, 8))).toEqual([
      '5143ba55',
      '712db987',
      'd3852055',
    ]);
    // The stats of the whole mempool come first (statsEvery is an hour: these are the start's), so
    // the whales are valued and placed on them.
    const firstStats = run!.events.findIndex((e) => e.type === 'mempool.stats');
    expect(firstStats).toBeGreaterThanOrEqual(0);
    expect(firstStats).toBeLessThan(run!.events.findIndex((e) => e.type === 'tx.seen'));
    expect(
      data<{ projectedBlocks: Array<{ nTx: number }> }>(run!.events[firstStats]!).projectedBlocks[0]!.nTx,
    ).toBe(212);
    await until('three whales', () => run!.of('whale.detected').length === 3);
    expect(
      of<{ txid: string; valueUsd: number }>('whale.detected').find((w) => w.txid.startsWith('5143ba55'))!
        .valueUsd,
    ).toBe(64_778_760);
    expect(
      run!.log.lines.some((l) =>
        /loaded 212 mempool transaction\(s\) from bitcoind; 3 already waiting/.test(String(l.msg)),
      ),
    ).toBe(true);
  });
});
