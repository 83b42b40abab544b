import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_SATS, normalizeTx } from '../../../../plugins/inputs/mempool/normalize.js';

const BLOCK = fileURLToPath(
  new URL('../../../../../shared/fixtures/mainnet-block-277647-esplora-full.json', import.meta.url),
);
const hasFixture = existsSync(BLOCK);
interface Vout {
  value: number;
  scriptpubkey_address?: string;
}
interface Tx {
  txid: string;
  fee: number;
  weight: number;
  vin: Array<{ sequence: number; prevout: { value: number; scriptpubkey_address?: string } | null }>;
  vout: Vout[];
}
const now = () => Date.parse('2026-11-21T10:00:00Z');

describe.skipIf(!hasFixture)('normalizeTx on mainnet block 277647 (../shared/fixtures)', () => {
  const txs = hasFixture ? (JSON.parse(readFileSync(BLOCK, 'utf8')) as Tx[]) : [];

  it('normalizes all 213 transactions with the fixture’s values, fees, sizes and addresses', () => {
    expect(txs).toHaveLength(213);
    for (const raw of txs) {
      const r = normalizeTx(raw, now);
      if (!r.ok) throw new Error(`${raw.txid}: ${r.why}`);
      expect(r.tx.txid).toBe(raw.txid);
      expect(r.tx.valueSats).toBe(raw.vout.reduce((s, o) => s + o.value, 0));
      expect(r.tx.feeSats).toBe(raw.fee);
      expect(r.tx.vsize).toBe(Math.ceil(raw.weight / 4));
      expect(r.tx.outputs).toEqual(
        raw.vout.map((o) => ({ address: o.scriptpubkey_address ?? null, valueSats: o.value })),
      );
      expect(r.tx.inputs.map((i) => i.valueSats)).toEqual(raw.vin.map((v) => v.prevout?.value ?? null));
      expect(r.tx.rbfSignaling).toBe(false); // 2013: no input signals
    }
  });

  it('reads a real mempool transaction’s effective fee rate and position (tx01_api_cached.json)', () => {
    const raw = JSON.parse(
      readFileSync(
        new URL('../../../../../shared/fixtures/mempool-repo/tx01_api_cached.json', import.meta.url),
        'utf8',
      ),
    ) as Record<string, unknown>;
    const r = normalizeTx(raw, now);
    expect(r.ok && r.tx).toMatchObject({
      effectiveFeeRate: 2.6008583690987126,
      position: { block: 0, vsize: 318595.5 },
    });
  });

  it('handles the coinbase (prevout null) and the 927 BTC whale', () => {
    const coinbase = normalizeTx(txs[0], now);
    expect(coinbase.ok && coinbase.tx.inputs[0]).toMatchObject({ address: null, valueSats: null });
    const whale = normalizeTx(
      txs.find((t) => t.txid.startsWith('5143ba55')),
      now,
    );
    expect(whale.ok && whale.tx).toMatchObject({
      valueSats: 92_700_000_000,
      feeSats: 0,
      vsize: 225,
      feeRate: 0,
    });
  });
});

describe('normalizeTx on bad input', () => {
  const good = () => ({
    txid: 'ab'.repeat(32),
    fee: 1000,
    weight: 800,
    vin: [
      {
        txid: 'cd'.repeat(32),
        vout: 0,
        sequence: 0xfffffffd,
        prevout: { value: 6000, scriptpubkey_address: 'bc1qin' },
      },
    ],
    vout: [{ value: 5000, scriptpubkey_address: 'bc1qout' }, { value: 0 }],
  });

  it('reads the package fee rate and projected position when sent, and drops a bad one without refusing the transaction', () => {
    const r = normalizeTx(
      { ...good(), effectiveFeePerVsize: 12.5, position: { block: 1, vsize: 1234.5 } },
      now,
    );
    expect(r.ok && r.tx).toMatchObject({
      feeRate: 5,
      effectiveFeeRate: 12.5,
      position: { block: 1, vsize: 1234.5 },
    });
    const plain = normalizeTx(good(), now);
    expect(plain.ok && 'effectiveFeeRate' in plain.tx).toBe(false);
    expect(plain.ok && 'position' in plain.tx).toBe(false);
    for (const bad of [
      { effectiveFeePerVsize: -1 },
      { effectiveFeePerVsize: 'fast' },
      { position: { block: 0.5, vsize: 1 } },
      { position: { block: 0 } },
      { position: 'next' },
    ]) {
      const t = normalizeTx({ ...good(), ...bad }, now);
      expect(t.ok, JSON.stringify(bad)).toBe(true);
      expect(t.ok && (t.tx.effectiveFeeRate ?? t.tx.position), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('accepts a valid transaction and reads RBF signalling and a missing address', () => {
    const r = normalizeTx(good(), now);
    expect(r.ok && r.tx).toMatchObject({
      valueSats: 5000,
      vsize: 200,
      feeRate: 5,
      rbfSignaling: true,
      outputs: [{ address: 'bc1qout' }, { address: null }],
    });
  });

  const cases: Array<[string, (t: ReturnType<typeof good>) => unknown, string]> = [
    ['a null', () => null, 'bad-shape'],
    ['an array', () => [], 'bad-shape'],
    ['a short txid', (t) => ({ ...t, txid: 'abc' }), 'bad-id'],
    ['a negative output', (t) => ({ ...t, vout: [{ value: -1 }] }), 'bad-amount'],
    ['a fractional output', (t) => ({ ...t, vout: [{ value: 1.5 }] }), 'bad-amount'],
    ['an output of 15000000000.5', (t) => ({ ...t, vout: [{ value: 15000000000.5 }] }), 'bad-amount'],
    ['a NaN fee', (t) => ({ ...t, fee: Number.NaN }), 'bad-amount'],
    ['a string fee', (t) => ({ ...t, fee: '1000' }), 'bad-amount'],
    ['outputs over 21M BTC', (t) => ({ ...t, vout: [{ value: MAX_SATS }, { value: 1 }] }), 'bad-amount'],
    ['a huge output', (t) => ({ ...t, vout: [{ value: 1e300 }] }), 'bad-amount'],
    ['no vout', (t) => ({ ...t, vout: [] }), 'bad-shape'],
    ['a bad sequence', (t) => ({ ...t, vin: [{ ...t.vin[0], sequence: 2 ** 32 }] }), 'bad-field'],
    ['no size', (t) => ({ ...t, weight: 0 }), 'bad-size'],
    ['a good weight but a bad vsize', (t) => ({ ...t, vsize: -1 }), 'bad-size'],
    ['a firstSeen of 1e13', (t) => ({ ...t, firstSeen: 1e13 }), 'bad-time'],
    ['a firstSeen in 2001', (t) => ({ ...t, firstSeen: 1e9 }), 'bad-time'],
    ['a firstSeen a day ahead', (t) => ({ ...t, firstSeen: now() / 1000 + 86_400 }), 'bad-time'],
    [
      'an input txid that is not hex',
      (t) => ({ ...t, vin: [{ ...t.vin[0], txid: 'x'.repeat(64) }] }),
      'bad-id',
    ],
    ['an input vout of -1', (t) => ({ ...t, vin: [{ ...t.vin[0], vout: -1 }] }), 'bad-field'],
    ['a prevout that is a string', (t) => ({ ...t, vin: [{ ...t.vin[0], prevout: 'x' }] }), 'bad-shape'],
    [
      'inputs over 21M BTC',
      (t) => ({ ...t, vin: [0, 1].map(() => ({ ...t.vin[0], prevout: { value: MAX_SATS } })) }),
      'bad-amount',
    ],
    [
      'an address of unicode garbage',
      (t) => ({ ...t, vout: [{ value: 1, scriptpubkey_address: 'bc1q\u202e\u0000' }] }),
      'bad-address',
    ],
    [
      'an address that is a number',
      (t) => ({ ...t, vout: [{ value: 1, scriptpubkey_address: 5 }] }),
      'bad-address',
    ],
  ];
  for (const [name, make, reason] of cases) {
    it(`refuses ${name} (${reason})`, () => {
      const r = normalizeTx(make(good()), now);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toBe(reason);
    });
  }

  it('reads only own fields: __proto__ and constructor keys are neither used nor harmful', () => {
    const t = JSON.parse(
      `{"__proto__":{"fee":-1},"constructor":{"x":1},${JSON.stringify(good()).slice(1)}`,
    ) as unknown;
    const r = normalizeTx(t, now);
    expect(r.ok && r.tx.feeSats).toBe(1000);
    expect(normalizeTx(JSON.parse(`{"__proto__":${JSON.stringify(good())}}`), now)).toMatchObject({
      ok: false,
      reason: 'bad-id',
    });
  });

  it('takes the server’s firstSeen when plausible, and now when it sends none', () => {
    const seen = normalizeTx({ ...good(), firstSeen: 1_700_000_000 }, now);
    expect(seen.ok && seen.tx.firstSeen).toBe('2023-11-14T22:13:20.000Z');
    const none = normalizeTx(good(), now);
    expect(none.ok && none.tx.firstSeen).toBe('2026-11-21T10:00:00.000Z');
  });

  it('takes a transaction with thousands of outputs', () => {
    const t = {
      ...good(),
      vout: Array.from({ length: 5000 }, (_, i) => ({ value: i, scriptpubkey_address: `bc1q${i}` })),
    };
    const r = normalizeTx(t, now);
    expect(r.ok && r.tx.outputs.length).toBe(5000);
    expect(r.ok && r.tx.valueSats).toBe((4999 * 5000) / 2);
  });
});
