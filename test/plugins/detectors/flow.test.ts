import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AnyEnvelope } from '../../../src/bus/envelope.js';
import type { TxSeen, WhaleSignal } from '../../../src/bus/events.js';
import { createKernel, type Kernel } from '../../../src/kernel/kernel.js';
import { isSpoutError } from '../../../src/kernel/errors.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { builtinLabels } from '../../../plugins/detectors/flow/builtin.js';
import { classifyFlow } from '../../../plugins/detectors/flow/classify.js';
import { createLabelSet } from '../../../plugins/detectors/flow/label-set.js';
import { parseCsv } from '../../../plugins/detectors/flow/csv.js';
import flow from '../../../plugins/detectors/flow/index.js';
import {
  formatProblems,
  parseLabels,
  readLabelFile,
  type Label,
  type LabelMap,
  type LabelResult,
} from '../../../plugins/detectors/flow/labels.js';
import whale from '../../../plugins/detectors/whale/index.js';
import { normalizeTx } from '../../../plugins/inputs/mempool/normalize.js';
import { hasFixtures, loadBlock277647 } from '../../helpers/fixtures.js';
import { captureLog, config, instance, until } from '../../helpers/kernel.js';

const LABELS = fileURLToPath(new URL('../../fixtures/labels/', import.meta.url));
const EXCHANGE_A = '18G8FYzrQh3AXFTBiSrU8ibRgmcqSXnwpW';
const EXCHANGE_B = '153AKrkxfeGSaqAQZ78qcmtVeKzHJpn7T5';
const CUSTODY = '11zro2wX8v6mkd99VuQShMrisZNLxYFNm';
const MERCHANT = '1JjYt1BGw3eCPxpzq7r92hdWwvwQgEXt5C';
const UNLABELLED = '18GGVNNJ5EYSyac8svtWDvAKtB2fVq2AmS';

// Invalid JSON cannot live in the repository (`prettier --check .` would fail on it): it is
// written to a scratch folder instead.
const SCRATCH = mkdtempSync(join(tmpdir(), 'spout-flow-labels-'));
afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));
writeFileSync(
  join(SCRATCH, 'malformed.json'),
  '[\n' +
    `  { "address": "${EXCHANGE_A}", "entity": "Example Exchange A", "type": "exchange" },\n` +
    `  { "address": "${EXCHANGE_B}", "entity": "Example Exchange B" "type": "exchange" }\n` +
    ']\n',
);
/** A label file of the fixtures folder (or the scratch one, for malformed JSON). */
const labelFile = (name: string) => join(name === 'malformed.json' ? SCRATCH : LABELS, name);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

type Side = Array<[address: string | null, sats: number | null]>;
const tx = (txid: string, inputs: Side, outputs: Side): TxSeen => ({
  txid: txid.padEnd(64, '0'),
  valueSats: outputs.reduce((s, [, v]) => s + (v ?? 0), 0),
  feeSats: 1000,
  vsize: 200,
  feeRate: 5,
  inputs: inputs.map(([address, valueSats], vout) => ({
    txid: 'f'.repeat(64),
    vout,
    sequence: 0xffffffff,
    address,
    valueSats,
  })),
  outputs: outputs.map(([address, valueSats]) => ({ address, valueSats: valueSats ?? 0 })),
  rbfSignaling: false,
  firstSeen: '2026-11-21T10:00:00.000Z',
});

const ok = (r: LabelResult): LabelMap => {
  if (!r.ok) throw new Error(`unexpected problems: ${formatProblems('labels', r.problems)}`);
  return r.labels;
};
const problems = (r: LabelResult) => (r.ok ? [] : r.problems.map((p) => [p.line, p.message]));
const labelMap = (entries: Record<string, Label>): LabelMap => new Map(Object.entries(entries));

describe('parseCsv (RFC 4180)', () => {
  it('reads quoted commas, doubled quotes, line breaks in quotes, CRLF and blank lines, with record lines', () => {
    const text = '\uFEFFa,b,c\r\n"x, y","say ""hi""",\r\n\r\n"multi\r\nline",2,3\nlast,,"'.concat('"\n');
    expect(parseCsv(text)).toEqual({
      records: [
        { line: 1, fields: ['a', 'b', 'c'] },
        { line: 2, fields: ['x, y', 'say "hi"', ''] },
        { line: 4, fields: ['multi\nline', '2', '3'] },
        { line: 6, fields: ['last', '', ''] },
      ],
      problems: [],
    });
  });

  it('reports a stray quote, text after a closing quote and an unclosed quote with their lines, and goes on', () => {
    const result = parseCsv('a,b\nx"y,1\n"ok"z,2\ngood,3\n"never closed,4\nmore,5\n');
    expect(result.records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 4, fields: ['good', '3'] },
    ]);
    expect(result.problems.map((p) => p.line)).toEqual([2, 3, 5]);
    expect(result.problems[2]?.message).toMatch(/never closed/);
  });
});

describe('label files', () => {
  const expected = (entityA: string) => [
    [EXCHANGE_A, { entity: entityA, type: 'exchange' }],
    [EXCHANGE_B, { entity: 'Example Exchange B', type: 'exchange' }],
    [CUSTODY, { entity: 'Example Custody', type: 'custody' }],
    [MERCHANT, { entity: 'Example Merchant', type: 'other' }],
  ];

  it.each([
    ['valid.yaml', 'Example Exchange A'],
    ['valid.json', 'Example Exchange A'],
    ['valid.csv', 'Example Exchange, Ltd.'],
  ])('reads %s', async (file, entityA) => {
    expect([...ok(await readLabelFile(join(LABELS, file)))]).toEqual(expected(entityA));
  });

  it.each([
    [
      'malformed.yaml',
      [
        [3, 'type must be one of exchange, custody, other ("exchnage")'],
        [4, 'entity must be a non-empty string (the owner’s name)'],
        [5, 'unknown key "kind" (use entity, type)'],
      ],
    ],
    ['malformed.json', [[3, "JSON syntax: Expected ',' or '}' after property value"]]],
    [
      'malformed.csv',
      [
        [3, 'expected 3 fields (address,entity,type), found 4; quote a field that contains a comma'],
        [4, 'type must be one of exchange, custody, other ("vault")'],
        [5, `${EXCHANGE_A} is already labelled "Example Exchange A" (exchange) on line 2`],
      ],
    ],
  ])('reports every problem of %s with its line', async (file, lines) => {
    expect(problems(await readLabelFile(labelFile(file)))).toEqual(lines);
  });

  it('is strict about shapes: no short form, list items need their keys, the file must hold labels', () => {
    expect(problems(parseLabels(`${EXCHANGE_A}: Example Exchange A\n`, 'yaml'))).toEqual([
      [1, `write ${EXCHANGE_A}: { entity: NAME, type: exchange|custody|other }`],
    ]);
    expect(problems(parseLabels(`- { address: ${EXCHANGE_A}, entity: A }\n- just text\n`, 'yaml'))).toEqual([
      [1, 'type must be one of exchange, custody, other (missing)'],
      [2, 'each list item must be { address, entity, type }'],
    ]);
    expect(problems(parseLabels('# nothing yet\n', 'yaml'))).toEqual([[1, 'the file holds no labels']]);
    expect(problems(parseLabels('- a\n', 'csv'))).toEqual([
      [1, 'the first line must be a header naming the columns address, entity and type (found: - a)'],
    ]);
    expect(problems(parseLabels('', 'json'))).toEqual([[1, 'JSON syntax: Unexpected end of JSON input']]);
  });

  it('reports YAML syntax errors and duplicate keys at their line', () => {
    const dup = `${EXCHANGE_A}: { entity: A, type: exchange }\n${EXCHANGE_A}: { entity: B, type: exchange }\n`;
    expect(problems(parseLabels(dup, 'yaml'))).toEqual([
      [2, 'a key appears twice in one mapping (an address, or a field of one entry)'],
    ]);
    const broken = `a: { entity: A, type: exchange }\nb: { entity: B, type: exchange } }\nc: { entity: C, type: other }\n`;
    expect(problems(parseLabels(broken, 'yaml'))).toEqual([[2, expect.stringMatching(/^YAML syntax: /)]]);
  });

  it('allows an identical duplicate, matches bech32 addresses in any case, and keeps base58 case', () => {
    const csv =
      'address,entity,type\n' +
      'BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ, Example Exchange A ,exchange\n' +
      'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq,Example Exchange A,EXCHANGE\n' +
      `${EXCHANGE_A},Example Exchange A,exchange\n`;
    const labels = ok(parseLabels(csv, 'csv'));
    expect([...labels.keys()]).toEqual(['bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', EXCHANGE_A]);
    const t = tx('e1', [[UNLABELLED, 5]], [['bc1qAR0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', 5]]);
    expect(classifyFlow(t, labels).to).toBe('Example Exchange A');
    expect(classifyFlow(tx('e2', [], [[EXCHANGE_A.toLowerCase(), 5]]), labels).type).toBe('unknown');
  });

  it('formats problems as FILE:LINE, a whole-file problem without a line, and caps the list', async () => {
    const missing = await readLabelFile(join(LABELS, 'absent.yaml'));
    expect(formatProblems('labels/absent.yaml', missing.ok ? [] : missing.problems)).toBe(
      'labels/absent.yaml  cannot read the file (ENOENT)',
    );
    const many = Array.from({ length: 25 }, (_, i) => ({ line: i + 1, message: 'bad' }));
    const text = formatProblems('l.csv', many);
    expect(text.split('\n')).toHaveLength(21);
    expect(text).toMatch(/^l\.csv:1 {2}bad\n/);
    expect(text).toMatch(/… and 5 more$/);
  });
});

describe('classifyFlow', () => {
  const labels = labelMap({
    [EXCHANGE_A]: { entity: 'Example Exchange A', type: 'exchange' },
    [EXCHANGE_B]: { entity: 'Example Exchange B', type: 'exchange' },
    [CUSTODY]: { entity: 'Example Custody', type: 'custody' },
    [MERCHANT]: { entity: 'Example Merchant', type: 'other' },
  });

  // Sides as "LETTER VALUE …": A, B exchanges, C custody, M other, U unlabelled, _ no address
  // (no value: the source did not send it). Expected names are the same letters.
  const ADDRESS: Record<string, string | null> = {
    A: EXCHANGE_A,
    B: EXCHANGE_B,
    C: CUSTODY,
    M: MERCHANT,
    U: UNLABELLED,
    _: null,
  };
  const sideOf = (spec: string): Side =>
    spec.split(' ').map((s) => [ADDRESS[s[0] ?? '_'] ?? null, s.length > 1 ? Number(s.slice(1)) : null]);
  const nameOf = (letter: string | null) =>
    letter === null ? null : (labels.get(ADDRESS[letter] ?? '')?.entity ?? null);

  it.each([
    ['inflow: an output is an exchange’s', 'U9', 'A8', 'inflow', null, 'A'],
    ['outflow: an input is an exchange’s', 'B9 U1', 'U8', 'outflow', 'B', null],
    ['internal: exchange to another exchange', 'B9', 'A8', 'internal', 'B', 'A'],
    ['internal: exchange to itself', 'A9', 'A8', 'internal', 'A', 'A'],
    ['unknown: nothing labelled, no addresses, no input value', '_', 'U8 _0', 'unknown', null, null],
    ['unknown, but naming a custodian and a merchant', 'C9', 'M8', 'unknown', 'C', 'M'],
    ['an exchange is named before a bigger custodian', 'C90 A1', 'U8', 'outflow', 'A', null],
    ['the exchange moving the most value is named', 'U99', 'A3 B2 B2', 'inflow', null, 'B'],
    ['a tie goes to the first in transaction order', 'U99', 'B3 A3', 'inflow', null, 'B'],
    ['an input without a value counts as 0', 'A B1', 'U8', 'outflow', 'B', null],
  ] as const)('%s', (_name, inputs, outputs, type, from, to) => {
    const got = classifyFlow(tx('c', sideOf(inputs), sideOf(outputs)), labels);
    expect(got).toEqual({ type, from: nameOf(from), to: nameOf(to) });
  });

  it('a partial transaction (recovered after a reconnect) is unknown', () => {
    const partial: TxSeen = { ...tx('d', [], []), partial: true };
    expect(classifyFlow(partial, labels)).toEqual({ type: 'unknown', from: null, to: null });
  });

  it.skipIf(!hasFixtures)('on real transactions of block 277647', async () => {
    const fileLabels = ok(await readLabelFile(join(LABELS, 'valid.yaml')));
    const real = (txid: string) => {
      const n = normalizeTx(
        loadBlock277647().find((t) => t.txid === txid),
        () => 0,
      );
      if (!n.ok) throw new Error(n.why);
      return n.tx;
    };
    expect(
      classifyFlow(real('5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd'), fileLabels),
    ).toEqual({ type: 'inflow', from: null, to: 'Example Exchange A' });
    expect(
      classifyFlow(real('d385205568e5420bc73b190ede001678730d42744d0716d2c5c2b6467cf73082'), fileLabels),
    ).toEqual({ type: 'outflow', from: 'Example Exchange B', to: 'Example Custody' });
  });
});

/** A kernel with the whale detector (1 BTC) then `flow`, recording every envelope. */
async function startChain(options: Record<string, unknown>) {
  const log = captureLog();
  const kernel: Kernel = createKernel({
    config: config([
      instance('whales', whale, { options: { thresholdBtc: 1, explorer: 'https://mempool.space/tx/' } }),
      instance('flows', flow, { options: { watch: true, ...options } }),
    ]),
    log: log.log,
    store: createMemoryStore(),
  });
  const events: AnyEnvelope[] = [];
  kernel.bus.tap((e) => events.push(e));
  await kernel.start();
  cleanups.push(() => kernel.stop());
  let n = 0;
  /** Publish a whale paying `to` and return the flow the chain put on it. */
  const flowOf = async (to: string) => {
    const txid = `${(++n).toString(16)}a`;
    kernel.bus.publish('tx.seen', tx(txid, [[UNLABELLED, 600e8]], [[to, 500e8]]), 'feed');
    await kernel.bus.drain();
    const signal = events
      .filter((e) => e.type === 'whale.detected')
      .map((e) => e.data as WhaleSignal)
      .find((w) => w.txid === txid.padEnd(64, '0'));
    return signal?.flow;
  };
  return { kernel, log, flowOf };
}

describe('flow detector in the detector chain', () => {
  it('annotates a whale paying an exchange address as inflow, with the entity name', async () => {
    const { flowOf } = await startChain({ labels: join(LABELS, 'valid.csv'), watch: false });
    expect(await flowOf(EXCHANGE_A)).toEqual({ type: 'inflow', from: null, to: 'Example Exchange, Ltd.' });
    expect(await flowOf(UNLABELLED)).toEqual({ type: 'unknown', from: null, to: null });
  });

  it('re-reads the file after it changes (also when replaced by rename); a bad reload keeps the old labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spout-flow-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'labels.yaml');
    copyFileSync(join(LABELS, 'valid.yaml'), file);
    const { log, flowOf } = await startChain({ labels: file });
    const infos = () => log.lines.filter((l) => String(l.msg).startsWith('reloaded')).length;
    expect(await flowOf(MERCHANT)).toEqual({ type: 'unknown', from: null, to: 'Example Merchant' });

    // An editor's save: write a temporary file, rename it over the original.
    writeFileSync(`${file}.tmp`, `${MERCHANT}: { entity: Example Exchange C, type: exchange }\n`);
    renameSync(`${file}.tmp`, file);
    await until(() => infos() === 1, 5000, 'the reload');
    expect(log.lines.find((l) => String(l.msg).startsWith('reloaded'))).toMatchObject({
      level: 'info',
      instance: 'flows',
      labels: 1,
    });
    expect(await flowOf(MERCHANT)).toEqual({ type: 'inflow', from: null, to: 'Example Exchange C' });
    expect(await flowOf(EXCHANGE_A)).toEqual({ type: 'unknown', from: null, to: null });

    // A plain rewrite in place, with a problem on line 2.
    writeFileSync(
      file,
      `${EXCHANGE_A}: { entity: Example Exchange A, type: exchange }\n${CUSTODY}: { entity: X }\n`,
    );
    await until(() => log.lines.some((l) => l.level === 'error'), 5000, 'the reload error');
    const error = log.lines.find((l) => l.level === 'error');
    expect(error).toMatchObject({
      instance: 'flows',
      file,
      problems: [expect.stringContaining(`${file}:2  type`)],
    });
    expect(String(error?.msg)).toContain('keeping the previous 1 labels');
    expect(await flowOf(MERCHANT)).toEqual({ type: 'inflow', from: null, to: 'Example Exchange C' });
    expect(await flowOf(EXCHANGE_A)).toEqual({ type: 'unknown', from: null, to: null });
    expect(infos()).toBe(1);
  });

  it.each([
    ['malformed.yaml', ':3  type must be one of'],
    ['malformed.json', ':3  JSON syntax'],
    ['malformed.csv', ':3  expected 3 fields'],
    ['absent.csv', '  cannot read the file (ENOENT)'],
  ])(
    'a bad label file at start (%s) fails setup with SPOUT_CONFIG_INVALID naming the file and line',
    async (name, line) => {
      const file = labelFile(name);
      const kernel = createKernel({
        config: config([instance('flows', flow, { options: { labels: file, watch: true } })]),
        log: captureLog().log,
        store: createMemoryStore(),
      });
      const error: unknown = await kernel.start().then(
        () => null,
        (e: unknown) => e,
      );
      // The kernel passes a coded setup error on with its code (so `spout run` exits 2).
      expect(isSpoutError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'SPOUT_CONFIG_INVALID', exit: 2 });
      const message = (error as Error).message;
      expect(message).toContain(`${file}${line}`);
      expect(message).toMatch(/^\[flows\] \d+ problems? in the label file of detectors\.flows\.labels:\n/);
      expect(message).toContain('type: exchange, custody or other');
    },
  );
});

describe('built-in exchange labels (labels: builtin)', () => {
  const BINANCE = '34xp4vRoCGJym3xR7yCVPFHoCNxv4Twseo';
  const BINANCE_BECH32 = 'bc1qm34lsc65zpw79lxes69zkqmk6ee3ewf0j77s3h';
  const BITFINEX = '1Kr6QSydW9bFQG1mXiPNNu6WpJGmUa9i1g';
  const BITMEX_VANITY = '3BMEXqGpG4FxBA1KWhRFufXfSTRgzfDBhJ';

  it('names the exchange of a disclosed address, bech32 in any case, and a 3BMEX address by the prefix rule', () => {
    const labels = createLabelSet([builtinLabels()]);
    expect(labels.get(BINANCE)).toEqual({ entity: 'Binance', type: 'exchange' });
    expect(labels.get(BITMEX_VANITY)).toEqual({ entity: 'BitMEX', type: 'exchange' });
    expect(labels.get('3BMEZ' + BITMEX_VANITY.slice(5))).toBeUndefined();
    expect(
      classifyFlow(tx('c1', [[UNLABELLED, 600e8]], [[BINANCE_BECH32.toUpperCase(), 500e8]]), labels),
    ).toEqual({ type: 'inflow', from: null, to: 'Binance' });
    expect(classifyFlow(tx('c2', [[BITFINEX, 600e8]], [[UNLABELLED, 500e8]]), labels)).toEqual({
      type: 'outflow',
      from: 'Bitfinex',
      to: null,
    });
    expect(classifyFlow(tx('c3', [[BITMEX_VANITY, 600e8]], [[BINANCE, 500e8]]), labels)).toEqual({
      type: 'internal',
      from: 'BitMEX',
      to: 'Binance',
    });
  });

  it('later layers override and extend; an exact address beats a prefix rule', () => {
    const mine = labelMap({
      [BINANCE]: { entity: 'My Treasury', type: 'custody' },
      [BITMEX_VANITY]: { entity: 'Not BitMEX', type: 'other' },
      [UNLABELLED]: { entity: 'Example Exchange A', type: 'exchange' },
    });
    const labels = createLabelSet([builtinLabels(), { addresses: mine }]);
    expect(labels.get(BINANCE)).toEqual({ entity: 'My Treasury', type: 'custody' });
    expect(labels.get(BITMEX_VANITY)).toEqual({ entity: 'Not BitMEX', type: 'other' });
    expect(labels.get('3BMEXaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).toEqual({ entity: 'BitMEX', type: 'exchange' });
    expect(labels.get(UNLABELLED)).toEqual({ entity: 'Example Exchange A', type: 'exchange' });
    expect(labels.get(BITFINEX)).toEqual({ entity: 'Bitfinex', type: 'exchange' });
    expect(labels.size).toBe(builtinLabels().addresses.size + 2);
  });

  it('in the chain: `labels: builtin` announces an inflow to Binance; a user file after it overrides an entry', async () => {
    const builtin = await startChain({ labels: 'builtin', watch: false });
    expect(await builtin.flowOf(BINANCE)).toEqual({ type: 'inflow', from: null, to: 'Binance' });
    expect(builtin.log.lines.some((l) => /loaded \d+ built-in exchange labels/.test(String(l.msg)))).toBe(
      true,
    );

    const dir = mkdtempSync(join(tmpdir(), 'spout-flow-builtin-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'mine.yaml');
    writeFileSync(file, `${BINANCE}: { entity: Binance Cold (mine), type: exchange }\n`);
    const merged = await startChain({ labels: ['builtin', file], watch: false });
    expect(await merged.flowOf(BINANCE)).toEqual({ type: 'inflow', from: null, to: 'Binance Cold (mine)' });
    expect(await merged.flowOf(BITFINEX)).toEqual({ type: 'inflow', from: null, to: 'Bitfinex' });
  });

  it('decides the change again for an inflow: the output to the exchange is the payment, the other the change', async () => {
    const { kernel } = await startChain({ labels: 'builtin', watch: false });
    const signals: WhaleSignal[] = [];
    kernel.bus.tap((e) => void (e.type === 'whale.detected' && signals.push(e.data)));
    const fresh = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';
    // Without labels, round-amount calls the non-round output (the deposit) change.
    kernel.bus.publish(
      'tx.seen',
      tx(
        'd1',
        [[UNLABELLED, 600e8]],
        [
          [BINANCE, 123_4567_8000],
          [fresh, 476e8],
        ],
      ),
      'feed',
    );
    // Not an inflow: the whale detector's guess stands.
    kernel.bus.publish(
      'tx.seen',
      tx(
        'd2',
        [[UNLABELLED, 600e8]],
        [
          ['bc1q' + 'q'.repeat(38), 123_4567_8000],
          [fresh, 476e8],
        ],
      ),
      'feed',
    );
    await kernel.bus.drain();
    expect(signals.map((w) => [w.flow?.type, w.changeRule, w.transferredSats])).toEqual([
      ['inflow', 'exchange', 123_4567_8000],
      ['unknown', 'round-amount', 476e8],
    ]);
  });

  it('the user file in a merged list is still watched: a change takes effect over the built-in set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spout-flow-builtin-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'mine.yaml');
    writeFileSync(file, `${MERCHANT}: { entity: Example Merchant, type: other }\n`);
    const { log, flowOf } = await startChain({ labels: ['builtin', file] });
    expect(await flowOf(BINANCE)).toEqual({ type: 'inflow', from: null, to: 'Binance' });
    writeFileSync(file, `${BINANCE}: { entity: Renamed, type: exchange }\n`);
    await until(() => log.lines.some((l) => String(l.msg).startsWith('reloaded 1 labels')));
    expect(await flowOf(BINANCE)).toEqual({ type: 'inflow', from: null, to: 'Renamed' });
  });
});
