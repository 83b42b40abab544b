/**
 * Where a whale's coins come from: the bitcoind input fills in the address and value of what
 * each input spends from Core's UTXO set (`gettxout`), for transactions a whale detector wants;
 * Core's raw transaction names only the outpoints. Checked against the same real transactions of
 * block 277647 as Esplora has them (prevouts filled in from the UTXO set of the time).
 */
import { readFileSync } from 'node:fs';
import { Block } from 'bitcoinjs-lib';
import { afterEach, describe, expect, it } from 'vitest';
import type { TxSeen } from '../../../../src/bus/events.js';
import { BLOCK_277647_HEX, startFakeCore, type FakeCore } from '../../../helpers/fake-core.js';
import { hasFixtures, loadBlock277647 } from '../../../helpers/fixtures.js';
import { turns } from '../../../helpers/receiver.js';
import { runYaml } from '../../../helpers/run-yaml.js';

describe.skipIf(!hasFixtures)('bitcoind input: the inputs of whales, from the UTXO set', () => {
  let fake: FakeCore | null = null;
  let stop: (() => Promise<unknown>) | null = null;
  afterEach(async () => {
    await stop?.();
    await fake?.close();
    fake = stop = null;
  });

  it('fills address and value of each input of a whale; smaller transactions are not asked for', async () => {
    fake = await startFakeCore();
    const esplora = loadBlock277647();
    for (const t of esplora.slice(1))
      for (const v of t.vin)
        if (v.prevout)
          fake.setUtxo(v.txid, v.vout, { valueSats: v.prevout.value, scriptHex: v.prevout.scriptpubkey });
    const run = await runYaml(
      [
        'inputs:',
        `  node: { use: bitcoind, rpcUrl: "${fake.rpcUrl}", cookieFile: "${fake.cookieFile}", zmq: "${fake.zmqUrl}" }`,
        'detectors:',
        '  whales: { use: whale, thresholdBtc: 100 }',
      ].join('\n'),
    );
    stop = run.stop;
    await fake.waitForSubscriber(['rawtx', 'sequence', 'rawblock']);
    await turns(
      () => run.of('input.status').some((e) => (e.data as { state: string }).state === 'connected'),
      'connected',
    );
    const raw = Block.fromHex(readFileSync(BLOCK_277647_HEX, 'utf8').trim()).transactions!;
    const whale = raw.find((t) => t.getId().startsWith('d3852055'))!;
    const small = raw.find(
      (t) => t.outs.reduce((s, o) => s + Number(o.value), 0) < 1e8 && t.ins.length > 0 && !t.isCoinbase(),
    )!;
    await fake.addTx(small, { fee: 1_000 });
    await fake.addTx(whale, { fee: 50_000 });
    await turns(() => run.of('whale.detected').length === 1, 'the whale');

    const e = esplora.find((t) => t.txid === whale.getId())!;
    const seen = run
      .of('tx.seen')
      .map((x) => x.data as TxSeen)
      .find((t) => t.txid === whale.getId())!;
    expect(seen.inputs.map((i) => [i.address, i.valueSats])).toEqual(
      e.vin.map((v) => [v.prevout!.scriptpubkey_address ?? null, v.prevout!.value]),
    );
    const spent = seen.inputs.reduce((s, i) => s + i.valueSats!, 0);
    expect(spent - seen.valueSats).toBe(e.fee); // what the inputs give, less the outputs: the real fee
    // Asked for the whale's inputs only (once, or twice when a resync took it in at the same time).
    const asked = fake.rpcCalls.filter((m) => m === 'gettxout').length;
    expect(small.ins.length % e.vin.length).not.toBe(0);
    expect(asked > 0 && asked % e.vin.length === 0).toBe(true);
    // The small transaction was published with its inputs unknown, and not asked for.
    const smallSeen = run
      .of('tx.seen')
      .map((x) => x.data as TxSeen)
      .find((t) => t.txid === small.getId());
    expect(smallSeen).toBeUndefined(); // below the whale detector's floor: not even read
  });
});
