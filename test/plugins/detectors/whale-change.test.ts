import { describe, expect, it } from 'vitest';
import type { TxSeen } from '../../../src/bus/events.js';
import { addressType, analyzeChange, isRound } from '../../../plugins/detectors/whale/change.js';
import { normalizeTx } from '../../../plugins/inputs/mempool/normalize.js';
import { hasFixtures, loadBlock277647 } from '../../helpers/fixtures.js';

// Address forms only matter to the rules (nothing checks checksums), so these are made up.
const p2pkh = (c: string) => `1${c.repeat(33)}`;
const p2wpkh = (c: string) => `bc1q${c.repeat(38)}`;
const p2tr = (c: string) => `bc1p${c.repeat(58)}`;

/** A `tx.seen` from `[address, sats]` pairs; `valueSats` is the sum of the outputs. */
function tx(
  inputs: ReadonlyArray<readonly [string | null, number | null]>,
  outputs: ReadonlyArray<readonly [string | null, number]>,
): TxSeen {
  return {
    txid: 'f'.repeat(64),
    valueSats: outputs.reduce((s, [, v]) => s + v, 0),
    feeSats: 10_000,
    vsize: 250,
    feeRate: 40,
    inputs: inputs.map(([address, valueSats], vout) => ({
      txid: 'e'.repeat(64),
      vout,
      sequence: 0xffffffff,
      address,
      valueSats,
    })),
    outputs: outputs.map(([address, valueSats]) => ({ address, valueSats })),
    rbfSignaling: false,
    firstSeen: '2026-11-21T10:00:00.000Z',
  };
}

const A = p2pkh('A');
const B = p2pkh('B');
const C = p2pkh('C');
const EX = p2pkh('X');
const isEx = (address: string) => address === EX;

describe('addressType', () => {
  it.each([
    ['1Kr6QSydW9bFQG1mXiPNNu6WpJGmUa9i1g', 'p2pkh'],
    ['3JZq4atUahhuA9rLhXLMhhTo133J9rF97j', 'p2sh'],
    ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'p2wpkh'],
    ['BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'p2wpkh'],
    ['bc1qgdjqv0av3q56jvd82tkdjpy7gdp9ut8tlqmgrpmv24sq90ecnvqqjwvw97', 'p2wsh'],
    ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', 'p2tr'],
    ['mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', 'p2pkh'],
    ['n3GNqMveyvaPvUbH469vDRadqpJMPc84JA', 'p2pkh'],
    ['2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc', 'p2sh'],
    ['tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'p2wpkh'],
    ['tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c', 'p2tr'],
    [`bcrt1q${'a'.repeat(38)}`, 'p2wpkh'],
    [`bcrt1q${'a'.repeat(58)}`, 'p2wsh'],
    ['bc1pfeessrawgf', 'other'], // pay-to-anchor: witness v1 but a 2-byte program
    [`bc1z${'a'.repeat(38)}`, 'other'], // a future witness version
    ['ex1qsomeliquidaddress', 'other'],
  ])('%s is %s', (address, type) => {
    expect(addressType(address)).toBe(type);
  });
});

describe('isRound', () => {
  it.each([100_000_000, 25_000_000, 69_300_000, 125_000_000, 91_700_000_000, 10_000_000_000, 100_000])(
    '%i sats is round',
    (sats) => expect(isRound(sats)).toBe(true),
  );
  it.each([123_450_000, 1_234_500_000, 302_775_338, 50_000, 99_999, 0, 100_000_001])(
    '%i sats is not round',
    (sats) => expect(isRound(sats)).toBe(false),
  );
});

describe('analyzeChange, rule by rule', () => {
  it('address-reuse: the output paying back an input address is change', () => {
    const t = tx(
      [[A, 60_000_000_000]],
      [
        [B, 212_345_678],
        [A, 59_787_644_322],
      ],
    );
    expect(analyzeChange(t)).toEqual({
      transferredSats: 212_345_678,
      changeRule: 'address-reuse',
      changeIndex: 1,
    });
  });

  it('address-reuse does not apply when two outputs pay input addresses', () => {
    const t = tx(
      [
        [A, 1_500_000_000],
        [B, 500_000_000],
      ],
      [
        [A, 1_234_567_890],
        [B, 765_422_110],
      ],
    );
    expect(analyzeChange(t)).toEqual({ transferredSats: t.valueSats, changeRule: 'none', changeIndex: null });
  });

  it('script-type: the one output sharing the inputs’ script type is change', () => {
    const t = tx(
      [
        [p2wpkh('a'), 10_000_000_000],
        [p2wpkh('c'), 40_000_000_000],
      ],
      [
        [p2tr('d'), 12_345_678_901],
        [p2wpkh('e'), 37_654_311_099],
      ],
    );
    expect(analyzeChange(t)).toEqual({
      transferredSats: 12_345_678_901,
      changeRule: 'script-type',
      changeIndex: 1,
    });
  });

  it('script-type does not apply when both outputs share the inputs’ type, or the inputs mix types', () => {
    const same = tx(
      [[p2wpkh('a'), 50_000_000_000]],
      [
        [p2wpkh('d'), 12_345_678_901],
        [p2wpkh('e'), 37_654_311_099],
      ],
    );
    const mixed = tx(
      [
        [p2wpkh('a'), 10_000_000_000],
        [A, 40_000_000_000],
      ],
      [
        [p2tr('d'), 12_345_678_901],
        [p2wpkh('e'), 37_654_311_099],
      ],
    );
    expect(analyzeChange(same).changeRule).toBe('none');
    expect(analyzeChange(mixed).changeRule).toBe('none');
  });

  it('round-amount: beside a round payment (1 BTC), the 500-odd BTC remainder is change', () => {
    const t = tx(
      [[A, 50_112_355_678]],
      [
        [B, 100_000_000],
        [C, 50_012_345_678],
      ],
    );
    expect(analyzeChange(t)).toEqual({
      transferredSats: 100_000_000,
      changeRule: 'round-amount',
      changeIndex: 1,
    });
  });

  it('round-amount does not apply when both outputs are round, or neither is', () => {
    const bothRound = tx(
      [[A, 92_700_000_000]],
      [
        [B, 1_000_000_000],
        [C, 91_700_000_000],
      ],
    );
    const neither = tx(
      [[A, 50_000_000_000]],
      [
        [B, 12_345_678_901],
        [C, 37_654_311_099],
      ],
    );
    expect(analyzeChange(bothRound).changeRule).toBe('none');
    expect(analyzeChange(neither).changeRule).toBe('none');
  });

  it('smaller-than-inputs: the output below every input is change when another is above every input', () => {
    const t = tx(
      [
        [A, 30_012_345_678],
        [B, 20_098_765_432],
      ],
      [
        [C, 45_000_012_345],
        [p2pkh('D'), 5_111_088_765],
      ],
    );
    expect(analyzeChange(t)).toEqual({
      transferredSats: 45_000_012_345,
      changeRule: 'smaller-than-inputs',
      changeIndex: 1,
    });
  });

  it('smaller-than-inputs does not apply with no output above every input, or two below every input', () => {
    const noneAbove = tx(
      [
        [A, 30_012_345_678],
        [B, 20_098_765_432],
      ],
      [
        [C, 25_000_012_345],
        [p2pkh('D'), 25_111_088_765],
      ],
    );
    const twoBelow = tx(
      [
        [A, 30_012_345_678],
        [B, 20_098_765_432],
      ],
      [
        [C, 40_000_012_345],
        [p2pkh('D'), 5_111_088_765],
        [p2pkh('E'), 4_999_990_000],
      ],
    );
    expect(analyzeChange(noneAbove).changeRule).toBe('none');
    expect(analyzeChange(twoBelow).changeRule).toBe('none');
  });

  it('exchange: with the deposit to a labelled exchange as the payment, the other output is change', () => {
    const t = tx(
      [[A, 50_000_000_000]],
      [
        [EX, 12_345_678_901],
        [B, 37_654_311_099],
      ],
    );
    expect(analyzeChange(t, isEx)).toEqual({
      transferredSats: 12_345_678_901,
      changeRule: 'exchange',
      changeIndex: 1,
    });
    expect(analyzeChange(t).changeRule).toBe('none'); // no labels: nothing else applies
  });

  it('exchange does not apply when an input is the exchange’s, or unknown, or two outputs are not deposits', () => {
    // The exchange paying B: its output back to itself is its change, which address reuse sees.
    const fromExchange = tx(
      [[EX, 50_000_000_000]],
      [
        [EX, 12_345_678_901],
        [B, 37_654_311_099],
      ],
    );
    expect(analyzeChange(fromExchange, isEx)).toMatchObject({ changeRule: 'address-reuse', changeIndex: 0 });
    const unknownInput = tx(
      [
        [A, 30_000_000_000],
        [null, null],
      ],
      [
        [EX, 12_345_678_901],
        [B, 37_654_311_099],
      ],
    );
    const twoOthers = tx(
      [[A, 50_000_000_000]],
      [
        [EX, 12_345_678_901],
        [B, 17_654_311_099],
        [C, 19_999_990_000],
      ],
    );
    for (const t of [unknownInput, twoOthers]) expect(analyzeChange(t, isEx).changeRule).toBe('none');
  });
});

describe('analyzeChange, precedence and doubt', () => {
  it('address-reuse decides over round-amount pointing the other way', () => {
    // Round-amount says the round 7.87 BTC back to A is the payment; paying back A says it is change.
    const t = tx(
      [[A, 999_355_678]],
      [
        [B, 212_345_678],
        [A, 787_000_000],
      ],
    );
    expect(analyzeChange(t)).toMatchObject({ changeRule: 'address-reuse', changeIndex: 1 });
  });

  it('exchange is named when it and address-reuse agree', () => {
    const t = tx(
      [[A, 50_000_000_000]],
      [
        [EX, 12_345_678_901],
        [A, 37_654_311_099],
      ],
    );
    expect(analyzeChange(t, isEx)).toMatchObject({ changeRule: 'exchange', changeIndex: 1 });
    expect(analyzeChange(t)).toMatchObject({ changeRule: 'address-reuse', changeIndex: 1 });
  });

  it('behavioural rules that disagree give none; when they agree the first is named', () => {
    // smaller-than-inputs says the 0.01 BTC is change; round-amount says the 0.0222718 BTC is.
    const disagree = tx(
      [
        [A, 1_582_500],
        [B, 1_654_680],
      ],
      [
        [C, 2_227_180],
        [p2pkh('D'), 1_000_000],
      ],
    );
    expect(analyzeChange(disagree)).toEqual({
      transferredSats: 3_227_180,
      changeRule: 'none',
      changeIndex: null,
    });
    // script-type and round-amount both name the p2wpkh remainder.
    const agree = tx(
      [[p2wpkh('a'), 50_000_010_000]],
      [
        [p2tr('d'), 10_000_000_000],
        [p2wpkh('e'), 40_000_000_123],
      ],
    );
    expect(analyzeChange(agree)).toEqual({
      transferredSats: 10_000_000_000,
      changeRule: 'script-type',
      changeIndex: 1,
    });
  });
});

describe('analyzeChange, edge cases', () => {
  it('a single output, or a partial transaction with no outputs, is none with everything transferred', () => {
    expect(analyzeChange(tx([[A, 50_000_010_000]], [[B, 50_000_000_000]]))).toEqual({
      transferredSats: 50_000_000_000,
      changeRule: 'none',
      changeIndex: null,
    });
    const partial: TxSeen = { ...tx([], []), valueSats: 50_000_000_000, partial: true };
    expect(analyzeChange(partial)).toEqual({
      transferredSats: 50_000_000_000,
      changeRule: 'none',
      changeIndex: null,
    });
  });

  it('ignores zero-value outputs (OP_RETURN) and never makes an output without an address change', () => {
    const withOpReturn = tx(
      [[A, 50_112_355_678]],
      [
        [B, 100_000_000],
        [null, 0],
        [C, 50_012_345_678],
      ],
    );
    expect(analyzeChange(withOpReturn)).toMatchObject({ changeRule: 'round-amount', changeIndex: 2 });
    expect(
      analyzeChange(
        tx(
          [[A, 50_000_010_000]],
          [
            [null, 0],
            [B, 50_000_000_000],
          ],
        ),
      ).changeRule,
    ).toBe('none');
    // Round-amount would name the P2PK remainder, which cannot be change; script-type needs every
    // output's type known.
    const p2pk = tx(
      [[A, 50_112_355_678]],
      [
        [B, 100_000_000],
        [null, 50_012_345_678],
      ],
    );
    expect(analyzeChange(p2pk).changeRule).toBe('none');
  });

  it('inputs with an unknown address or value do not crash; rules needing them do not apply', () => {
    // With all inputs known, script-type and smaller-than-inputs both name output 1.
    const known = tx(
      [
        [p2wpkh('a'), 30_012_345_678],
        [p2wpkh('c'), 20_098_765_432],
      ],
      [
        [p2tr('d'), 45_000_012_345],
        [p2wpkh('e'), 5_111_088_765],
      ],
    );
    expect(analyzeChange(known).changeRule).toBe('script-type');
    const unknownAddress = { ...known, inputs: [known.inputs[0]!, { ...known.inputs[1]!, address: null }] };
    expect(analyzeChange(unknownAddress).changeRule).toBe('smaller-than-inputs');
    const unknownBoth = {
      ...known,
      inputs: [known.inputs[0]!, { ...known.inputs[1]!, address: null, valueSats: null }],
    };
    expect(analyzeChange(unknownBoth)).toEqual({
      transferredSats: known.valueSats,
      changeRule: 'none',
      changeIndex: null,
    });
    const noPrevouts = tx(
      [
        [null, null],
        [null, null],
      ],
      [
        [B, 12_345_678_901],
        [C, 37_654_311_099],
      ],
    );
    expect(analyzeChange(noPrevouts, isEx).changeRule).toBe('none');
  });

  it('does not modify the transaction', () => {
    const t = tx(
      [[A, 60_000_000_000]],
      [
        [B, 212_345_678],
        [A, 59_787_644_322],
      ],
    );
    const before = structuredClone(t);
    analyzeChange(t, isEx);
    expect(t).toEqual(before);
  });
});

describe.skipIf(!hasFixtures)(
  'analyzeChange on mainnet block 277647 (normalized as the mempool input does)',
  () => {
    const block = hasFixtures ? loadBlock277647() : [];
    const txs = block.map((raw) => {
      const r = normalizeTx(raw, () => Date.parse('2013-12-30T00:00:00Z'));
      if (!r.ok) throw new Error(`${raw.txid} refused: ${r.why}`);
      return r.tx;
    });
    const byId = (prefix: string) => {
      const found = txs.find((t) => t.txid.startsWith(prefix));
      if (!found) throw new Error(`no transaction ${prefix}…`);
      return found;
    };

    it.each([
      // 23 inputs → 100 BTC (round) + 3.02775338 BTC: the 103 BTC "whale" moved exactly 100 BTC.
      ['d385205568e5420bc73b190ede001678730d42744d0716d2c5c2b6467cf73082', 'round-amount', 1, 10_000_000_000],
      // One 133.30798472 BTC input → 132.61498472 BTC + 0.693 BTC (round): only 0.693 BTC moved.
      ['712db987272743dd6e02bdd00fd8a0718bbfd04d13495a97eb70cdc42c010b1e', 'round-amount', 0, 69_300_000],
      // One 927 BTC input → 10 BTC + 917 BTC, both round, one input: nothing tells which is change.
      ['5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd', 'none', null, 92_700_000_000],
      // 0.00012 BTC out, 0.097655 BTC back to the input address 1changem…: address reuse decides
      // although smaller-than-inputs would have called the 0.00012 BTC the change.
      ['12052c31ab26552323b62cc14a5845c4b9e2a2a7d38d333d48680c1034d012bd', 'address-reuse', 1, 12_000],
      // Inputs 1.75 + 0.2495 BTC → 1.98928843 BTC (above both) + 0.01001157 BTC (below both);
      // neither output is round: only optimal change applies.
      [
        'fcd3b1b96e0fc512209e6c0f7217037bbfa30930c1ff0a7a3b64c19b2e12e6e2',
        'smaller-than-inputs',
        0,
        198_928_843,
      ],
      // A 0.01 BTC SatoshiDice bet (1dice…) + 0.0222718 BTC: round-amount says the bet is the payment,
      // smaller-than-inputs (the wallet did not select optimally) says it is the change: in doubt, none.
      ['a50f9ddb51e03010c9722b2615329596e21364b19d63629114a214717607fd74', 'none', null, 3_227_180],
    ] as const)('%s: %s', (txid, rule, index, transferred) => {
      expect(analyzeChange(byId(txid))).toEqual({
        changeRule: rule,
        changeIndex: index,
        transferredSats: transferred,
      });
    });

    it('a label settles a50f9ddb…: with 1dice… taken as a labelled service, the other output is change', () => {
      const t = byId('a50f9ddb');
      expect(analyzeChange(t, (a) => a.startsWith('1dice'))).toEqual({
        changeRule: 'exchange',
        changeIndex: 0,
        transferredSats: 1_000_000,
      });
    });

    it('holds its invariants over all 213 transactions', () => {
      expect(txs).toHaveLength(213);
      for (const t of txs) {
        const r = analyzeChange(t);
        expect(r.transferredSats).toBeGreaterThanOrEqual(0);
        expect(r.transferredSats).toBeLessThanOrEqual(t.valueSats);
        expect(r.changeRule === 'none').toBe(r.transferredSats === t.valueSats);
        expect(r.changeRule === 'none').toBe(r.changeIndex === null);
        if (r.changeIndex !== null) {
          const change = t.outputs[r.changeIndex]!;
          expect(change.address).not.toBeNull();
          expect(change.valueSats).toBeGreaterThan(0);
          expect(r.transferredSats).toBe(t.valueSats - change.valueSats);
        }
      }
    });

    it('classifies the block: 72 address reuse, 32 round amount, 22 optimal change, 87 none', () => {
      const counts: Record<string, number> = {};
      for (const t of txs) {
        const rule = analyzeChange(t).changeRule;
        counts[rule] = (counts[rule] ?? 0) + 1;
      }
      // All p2pkh (2013): script-type never applies; no labels: exchange never does.
      expect(counts).toEqual({
        'address-reuse': 72,
        'round-amount': 32,
        'smaller-than-inputs': 22,
        none: 87,
      });
    });
  },
);
