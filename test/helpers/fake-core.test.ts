import { existsSync, readFileSync } from 'node:fs';
import { Block, Transaction } from 'bitcoinjs-lib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_277646,
  BLOCK_277647_HEX,
  byInternalHash,
  labelOf,
  openTap,
  rpcCall,
  rpcPost,
  spendingTx,
  startFakeCore,
  txFromEsplora,
  type FakeCore,
  type ZmqTap,
} from './fake-core.js';
import { hasFixtures, loadBlock277647, loadFixtureJson, type EsploraTx } from './fixtures.js';

const present = hasFixtures && existsSync(BLOCK_277647_HEX);
const HASH_277647 = '0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8';

const txLabels = (tx: Transaction): string[] => [`hashtx:${tx.getId()}`, `rawtx:${tx.getId()}`];

describe.skipIf(!present)('fake Bitcoin Core (ZMQ + JSON-RPC on loopback)', () => {
  let block: Block;
  let txs: Transaction[];
  let fees: Map<string, number>;
  let fake: FakeCore;
  let tap: ZmqTap | undefined;

  beforeAll(() => {
    block = Block.fromHex(readFileSync(BLOCK_277647_HEX, 'utf8').trim());
    txs = block.transactions!;
    fees = new Map(loadBlock277647().map((t) => [t.txid, t.fee]));
  });
  afterEach(async () => {
    tap?.close();
    tap = undefined;
    await fake?.close();
  });
  const fee = (tx: Transaction) => ({ fee: fees.get(tx.getId())! });

  it('publishes 3-part messages: topic, body, 4-byte LE sequence counted per topic', async () => {
    fake = await startFakeCore();
    tap = await openTap(fake);
    const [t1, t2] = [txs[1]!, txs[2]!];
    await fake.addTx(t1, fee(t1));
    await fake.addTx(t2, fee(t2));
    const m = await tap.take(6);
    expect(m.map((x) => [x.topic, x.seq, x.parts, x.frames[2]!.length])).toEqual([
      ['hashtx', 0, 3, 4],
      ['rawtx', 0, 3, 4],
      ['sequence', 0, 3, 4],
      ['hashtx', 1, 3, 4],
      ['rawtx', 1, 3, 4],
      ['sequence', 1, 3, 4],
    ]);
    expect(m[0]!.body.toString('hex')).toBe(t1.getId()); // display order
    expect(m[1]!.body.toString('hex')).toBe(t1.toHex()); // the real mainnet bytes
    expect(m.map(labelOf).filter((l) => l.startsWith('sequence'))).toEqual([
      `sequence:A:${t1.getId()}:1`,
      `sequence:A:${t2.getId()}:2`,
    ]);
    expect(await rpcCall(fake, 'getrawmempool', [false, true])).toEqual({
      jsonrpc: '2.0',
      result: { txids: expect.arrayContaining([t1.getId(), t2.getId()]), mempool_sequence: 3 },
      id: 1,
    });
  });

  it('a replacement publishes R for the replaced transaction and its descendants before hashtx, rawtx, A', async () => {
    fake = await startFakeCore();
    tap = await openTap(fake, ['rawtx', 'sequence']);
    // Real RBF pair: b6a53d8a… spends the same outpoint as 242f3fff… with a higher fee.
    const replaced = txFromEsplora(loadFixtureJson('mempool-repo/tx01_api_cached.json') as EsploraTx);
    const by = txFromEsplora(loadFixtureJson('mempool-repo/tx02_api_tx.json') as EsploraTx);
    const child = spendingTx(replaced.getId(), 0);
    await fake.addTx(replaced, { fee: 606 });
    await fake.addTx(child, { fee: 500, time: 1_700_000_000 });
    const entry = (await rpcCall(fake, 'getmempoolentry', [child.getId()])) as {
      result: Record<string, unknown>;
    };
    expect(Object.keys(entry.result)).toEqual(
      'vsize weight time height descendantcount descendantsize ancestorcount ancestorsize wtxid fees depends spentby bip125-replaceable unbroadcast'.split(
        ' ',
      ),
    );
    expect(entry.result).toMatchObject({
      time: 1_700_000_000,
      height: 277646,
      ancestorcount: 2,
      depends: [replaced.getId()],
      fees: { base: 0.000005, ancestor: 0.00001106 },
      'bip125-replaceable': true,
    });
    await fake.addTx(by, { fee: 960 });
    const m = (await tap.take(8)).slice(4).map(labelOf);
    const gone = [replaced.getId(), child.getId()].sort(byInternalHash);
    expect(m).toEqual([
      `sequence:R:${gone[0]}:3`,
      `sequence:R:${gone[1]}:4`,
      `rawtx:${by.getId()}`,
      `sequence:A:${by.getId()}:5`,
    ]);
    const raw = await rpcPost(fake, { id: 7, method: 'getmempoolentry', params: [by.getId()] });
    expect(raw.text).toContain('"fees":{"base":0.00000960,"modified":0.00000960');
    expect(await rpcCall(fake, 'getrawmempool', [false, true])).toMatchObject({
      result: { txids: [by.getId()], mempool_sequence: 6 },
    });
  });

  it('connects block 277647: mined txs leave silently, conflicts get R, then 213 × hashtx+rawtx, C, hashblock, rawblock', async () => {
    fake = await startFakeCore();
    const [t1, t5, t7] = [txs[1]!, txs[5]!, txs[7]!];
    const conflict = spendingTx(Buffer.from(t7.ins[0]!.hash).reverse().toString('hex'), t7.ins[0]!.index);
    tap = await openTap(fake);
    await fake.addTx(t1, fee(t1));
    await fake.addTx(t5, fee(t5));
    await fake.addTx(conflict, { fee: 300 });
    await tap.take(9);
    expect(fake.mempoolSequence).toBe(4);
    const tip = await fake.connectBlock(readFileSync(BLOCK_277647_HEX, 'utf8'));
    expect(tip).toMatchObject({ hash: HASH_277647, height: 277647, prevHash: BASE_277646.hash });
    const m = await tap.take(1 + 213 * 2 + 3);
    // mempool sequence: t1 and t5 mined (4, 5, unreported), the conflict removed with 6
    expect(m.map(labelOf)).toEqual([
      `sequence:R:${conflict.getId()}:6`,
      ...txs.flatMap(txLabels),
      `sequence:C:${HASH_277647}`,
      `hashblock:${HASH_277647}`,
      `rawblock:${HASH_277647}`,
    ]);
    expect(m.filter((x) => x.topic === 'rawtx')).toHaveLength(213);
    expect(m.filter((x) => x.topic === 'rawtx').map((x) => x.seq)).toEqual(txs.map((_, i) => i + 3));
    expect(m.at(-1)!.body.toString('hex')).toBe(readFileSync(BLOCK_277647_HEX, 'utf8').trim());
    expect(m.at(-3)!.body).toHaveLength(33);
    expect(await rpcCall(fake, 'getrawmempool', [false, true])).toMatchObject({
      result: { txids: [], mempool_sequence: 7 },
    });

    const info = (await rpcCall(fake, 'getblockchaininfo')) as { result: Record<string, unknown> };
    expect(info.result).toMatchObject({
      chain: 'main',
      blocks: 277647,
      headers: 277647,
      bestblockhash: HASH_277647,
    });
    expect(info.result.difficulty).toBeCloseTo(1180923195.258, 2);
    const verbose = (await rpcCall(fake, 'getblock', [HASH_277647, 1])) as {
      result: Record<string, unknown>;
    };
    expect(verbose.result).toMatchObject({
      hash: HASH_277647,
      confirmations: 1,
      height: 277647,
      version: 2,
      time: 1388367102,
      bits: '1903a30c',
      nTx: 213,
      previousblockhash: BASE_277646.hash,
      size: 149164,
      tx: txs.map((t) => t.getId()),
    });
    expect(await rpcCall(fake, 'getblock', [HASH_277647, 0])).toMatchObject({ result: block.toHex() });
    expect(await rpcCall(fake, 'getblockhash', [277647])).toMatchObject({ result: HASH_277647 });
    expect(await rpcCall(fake, 'getrawtransaction', [t7.getId(), false])).toMatchObject({
      result: t7.toHex(),
    });
    // The conflict left the mempool and is in no block: gone, as for Core with -txindex.
    expect(await rpcCall(fake, 'getrawtransaction', [conflict.getId(), false])).toMatchObject({
      error: {
        code: -5,
        message: 'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.',
      },
    });
  });

  it('dropNext skips a message but consumes its sequence number', async () => {
    fake = await startFakeCore();
    tap = await openTap(fake, ['rawtx']);
    await fake.addTx(txs[1]!, fee(txs[1]!));
    fake.dropNext('rawtx');
    await fake.addTx(txs[2]!, fee(txs[2]!));
    await fake.addTx(txs[3]!, fee(txs[3]!));
    const m = await tap.take(2);
    expect(m.map((x) => [labelOf(x), x.seq])).toEqual([
      [`rawtx:${txs[1]!.getId()}`, 0],
      [`rawtx:${txs[3]!.getId()}`, 2],
    ]);
    expect(fake.zmqSequence('rawtx')).toBe(3);
  });

  it('disconnectTip publishes hashtx+rawtx of the block, D, then A for each transaction that returns', async () => {
    fake = await startFakeCore();
    tap = await openTap(fake, ['hashblock', 'rawtx', 'sequence']);
    const t1 = txs[1]!;
    await fake.addTx(t1, fee(t1));
    const mined = fake.makeBlock([t1]);
    expect(mined.checkTxRoots()).toBe(true);
    await fake.connectBlock(mined);
    await fake.disconnectTip();
    const [coinbase] = mined.transactions!;
    const h = mined.getId();
    const m = (await tap.take(2 + 2 + 2 + 2 + 3)).map(labelOf);
    expect(m).toEqual([
      `rawtx:${t1.getId()}`,
      `sequence:A:${t1.getId()}:1`,
      `rawtx:${coinbase!.getId()}`,
      `rawtx:${t1.getId()}`,
      `sequence:C:${h}`,
      `hashblock:${h}`,
      `rawtx:${coinbase!.getId()}`,
      `rawtx:${t1.getId()}`,
      `sequence:D:${h}`,
      `rawtx:${t1.getId()}`,
      `sequence:A:${t1.getId()}:3`,
    ]);
    expect(fake.tip.hash).toBe(BASE_277646.hash);
    expect(await rpcCall(fake, 'getblock', [h, 1])).toMatchObject({
      result: { confirmations: -1, height: 277647 },
    });
    expect(await rpcCall(fake, 'getrawmempool', [false, true])).toMatchObject({
      result: { txids: [t1.getId()], mempool_sequence: 4 },
    });
  });

  it('a reorg: D, new blocks connected, the old transactions return (A), then C per block and one hashblock', async () => {
    fake = await startFakeCore();
    tap = await openTap(fake, ['hashblock', 'sequence']);
    const [t1, t2] = [txs[1]!, txs[2]!];
    await fake.addTx(t1, fee(t1));
    await fake.addTx(t2, fee(t2));
    const old = await fake.connectBlock([t1]);
    const tip = await fake.reorg(1, [[t2], []]);
    const b1 = fake.node.activeAt(277647)!;
    expect(tip.height).toBe(277648);
    expect((await tap.take(3 + 1 + 5)).map(labelOf).slice(4)).toEqual([
      `sequence:D:${old.hash}`,
      `sequence:A:${t1.getId()}:5`,
      `sequence:C:${b1.hash}`,
      `sequence:C:${tip.hash}`,
      `hashblock:${tip.hash}`,
    ]);
    expect([...fake.mempool.keys()]).toEqual([t1.getId()]);
  });
});
