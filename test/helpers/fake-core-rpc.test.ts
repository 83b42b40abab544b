import { existsSync, readFileSync } from 'node:fs';
import { Block, type Transaction } from 'bitcoinjs-lib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_277646,
  BLOCK_277647_HEX,
  labelOf,
  openTap,
  rpcCall,
  rpcPost,
  startFakeCore,
  type FakeCore,
  type ZmqTap,
} from './fake-core.js';
import { hasFixtures, loadBlock277647 } from './fixtures.js';

const present = hasFixtures && existsSync(BLOCK_277647_HEX);

describe.skipIf(!present)('fake Bitcoin Core: JSON-RPC and faults', () => {
  let txs: Transaction[];
  let fees: Map<string, number>;
  let fake: FakeCore;
  let tap: ZmqTap | undefined;

  beforeAll(() => {
    txs = Block.fromHex(readFileSync(BLOCK_277647_HEX, 'utf8').trim()).transactions!;
    fees = new Map(loadBlock277647().map((t) => [t.txid, t.fee]));
  });
  afterEach(async () => {
    tap?.close();
    tap = undefined;
    await fake?.close();
  });
  const fee = (tx: Transaction) => ({ fee: fees.get(tx.getId())! });

  it('speaks JSON-RPC as Core 28: auth, 1.0 and 2.0 errors, batches, notifications, named params', async () => {
    fake = await startFakeCore({ badAuthDelayMs: 0 });
    expect(readFileSync(fake.cookieFile, 'utf8')).toBe(`__cookie__:${fake.rpcPassword}`);
    expect(fake.rpcPassword).toMatch(/^[0-9a-f]{64}$/);
    const none = await rpcPost(fake, { method: 'getblockcount' }, null);
    expect([none.status, none.text, none.headers.get('www-authenticate')]).toEqual([
      401,
      '',
      'Basic realm="jsonrpc"',
    ]);
    expect((await rpcPost(fake, { method: 'getblockcount' }, '__cookie__:wrong')).status).toBe(401);

    const missing = await rpcPost(fake, { id: 1, method: 'getmempoolentry', params: ['ab'.repeat(32)] });
    expect([missing.status, missing.json]).toEqual([
      500,
      { result: null, error: { code: -5, message: 'Transaction not in mempool' }, id: 1 },
    ]);
    const unknown = await rpcPost(fake, { id: 'x', method: 'nosuch' });
    expect([unknown.status, unknown.json]).toEqual([
      404,
      { result: null, error: { code: -32601, message: 'Method not found' }, id: 'x' },
    ]);
    const v2 = await rpcPost(fake, {
      jsonrpc: '2.0',
      id: 2,
      method: 'getmempoolentry',
      params: ['ab'.repeat(32)],
    });
    expect([v2.status, v2.json]).toEqual([
      200,
      { jsonrpc: '2.0', error: { code: -5, message: 'Transaction not in mempool' }, id: 2 },
    ]);
    const notification = await rpcPost(fake, { jsonrpc: '2.0', method: 'getblockcount' });
    expect([notification.status, notification.text]).toEqual([204, '']);
    const batch = await rpcPost(fake, [
      { id: 1, method: 'getblockcount' },
      { id: 2, method: 'getmempoolentry', params: ['ab'.repeat(32)] },
      { jsonrpc: '2.0', id: 3, method: 'getblockhash', params: { height: 277646 } },
      { id: 4, method: 'getrawmempool', params: [true, true] },
    ]);
    expect([batch.status, batch.json]).toEqual([
      200,
      [
        { result: 277646, error: null, id: 1 },
        { result: null, error: { code: -5, message: 'Transaction not in mempool' }, id: 2 },
        { jsonrpc: '2.0', result: BASE_277646.hash, id: 3 },
        {
          result: null,
          error: { code: -8, message: 'Verbose results cannot contain mempool sequence values.' },
          id: 4,
        },
      ],
    ]);
    const garbage = await rpcPost(fake, '{not json');
    expect([garbage.status, garbage.json]).toEqual([
      500,
      { result: null, error: { code: -32700, message: 'Parse error' }, id: null },
    ]);
    expect(await rpcCall(fake, 'estimatesmartfee', [6])).toMatchObject({
      result: { feerate: 0.0001, blocks: 6 },
    });
    expect(fake.rpcCalls.slice(0, 3)).toEqual(['getmempoolentry', 'nosuch', 'getmempoolentry']);
  });

  it('faults: RPC refused or hanging, back on the same port; ZMQ down and up (sequence keeps counting); new cookie', async () => {
    fake = await startFakeCore({ badAuthDelayMs: 0 });
    tap = await openTap(fake, ['hashtx']);
    await fake.rpcDown(true);
    await expect(rpcPost(fake, { method: 'getblockcount' })).rejects.toThrow();
    await fake.rpcDown(false);
    expect((await rpcPost(fake, { id: 1, method: 'getblockcount' })).json).toMatchObject({ result: 277646 });
    await fake.rpcDown(true, 'hang');
    const hung = fetch(fake.rpcUrl, { method: 'POST', body: '{}', signal: AbortSignal.timeout(200) });
    await expect(hung).rejects.toThrow();
    await fake.rpcDown(false);

    const mark = fake.subscriptionMark();
    await fake.zmqDown();
    await fake.addTx(txs[1]!, fee(txs[1]!)); // lost: nobody is connected
    await fake.zmqUp();
    await fake.waitForSubscriber(['hashtx'], { since: mark });
    await fake.addTx(txs[2]!, fee(txs[2]!));
    expect((await tap.take(1)).map((x) => [labelOf(x), x.seq])).toEqual([[`hashtx:${txs[2]!.getId()}`, 1]]);

    const oldAuth = `${fake.rpcUser}:${fake.rpcPassword}`;
    await fake.rotateCookie();
    expect((await rpcPost(fake, { method: 'getblockcount' }, oldAuth)).status).toBe(401);
    expect(readFileSync(fake.cookieFile, 'utf8')).toBe(`__cookie__:${fake.rpcPassword}`);
    expect((await rpcPost(fake, { id: 1, method: 'getblockcount' })).status).toBe(200);
  });
});
