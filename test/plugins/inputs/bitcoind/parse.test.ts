/**
 * The raw-transaction and raw-block decoding of the bitcoind input, on the real bytes of mainnet
 * block 277647 (what Core sends on ZMQ rawblock and, per transaction, rawtx), checked against the
 * same block as Esplora JSON (values, addresses, outpoints, sequences, sizes).
 */
import { readFileSync } from 'node:fs';
import { Block, networks } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { blockHashOf, parseRawBlock, parseRawTx } from '../../../../plugins/inputs/bitcoind/parse.js';
import { FIXTURES_URL, hasFixtures, loadBlock277647 } from '../../../helpers/fixtures.js';

describe.skipIf(!hasFixtures)('bitcoind input: decoding Core’s raw bytes (block 277647)', () => {
  const hex = () => readFileSync(new URL('mainnet-block-277647.hex', FIXTURES_URL), 'utf8').trim();

  it('the block: hash, parent, time and its 213 transactions, each as Esplora has it', () => {
    const bytes = Buffer.from(hex(), 'hex');
    const block = parseRawBlock(bytes, networks.bitcoin);
    expect(block.hash).toBe('0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8');
    expect(blockHashOf(bytes)).toBe(block.hash);
    expect(block.time).toBe(1388367102);
    const esplora = loadBlock277647();
    expect(block.txs.map((t) => t.txid)).toEqual(esplora.map((t) => t.txid));
    expect(block.txs[0]!.coinbase).toBe(true);
    for (const [i, t] of block.txs.entries()) {
      const e = esplora[i]!;
      expect(t.valueSats).toBe(e.vout.reduce((s, o) => s + o.value, 0));
      expect(t.outputs.map((o) => o.address)).toEqual(e.vout.map((o) => o.scriptpubkey_address ?? null));
      expect(t.weight).toBe(e.weight);
      if (i === 0) continue;
      expect(t.inputs.map((x) => [x.txid, x.vout, x.sequence])).toEqual(
        e.vin.map((v) => [v.txid, v.vout, v.sequence]),
      );
      expect(t.rbfSignaling).toBe(false); // 2013: no input signals
    }
    const whales = block.txs
      .filter((t) => t.valueSats >= 100e8)
      .map((t) => [t.txid.slice(0, 8), t.valueSats]);
    expect(whales).toEqual([
      ['d3852055', 10_302_775_338],
      ['5143ba55', 92_700_000_000],
      ['712db987', 13_330_798_472],
    ]);
  });

  it('one transaction as rawtx carries it; RBF signalling from the sequences; junk throws', () => {
    const tx = Block.fromHex(hex()).transactions![5]!;
    const facts = parseRawTx(tx.toBuffer(), networks.bitcoin);
    const e = loadBlock277647()[5]!;
    expect(facts.txid).toBe(e.txid);
    expect(facts.valueSats).toBe(e.vout.reduce((s, o) => s + o.value, 0));
    expect(facts.rbfSignaling).toBe(false);
    tx.ins[0]!.sequence = 0xfffffffd;
    expect(parseRawTx(tx.toBuffer(), networks.bitcoin).rbfSignaling).toBe(true);
    tx.ins[0]!.sequence = 0xfffffffe; // final but not replaceable (BIP 125)
    expect(parseRawTx(tx.toBuffer(), networks.bitcoin).rbfSignaling).toBe(false);
    expect(() => parseRawTx(Buffer.from(hex(), 'hex').subarray(80, 100), networks.bitcoin)).toThrow();
    expect(() => parseRawTx(new Uint8Array(0), networks.bitcoin)).toThrow();
  });
});
