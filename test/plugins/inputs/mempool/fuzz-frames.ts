/**
 * Seeded generators of bad (and a few deliberately good) mempool.space frames for the input's fuzz
 * test (fuzz.test.ts). Every "bad" frame is built so that nothing in it may become an event: each
 * message it carries has at least one value the input must refuse. "Control" frames carry valid
 * transactions dressed in the same oddities (prototype keys, duplicated keys, unicode, frames exactly
 * at the size limit) and must be accepted. Deterministic for a seed (pure-rand, xoroshiro128+);
 * times are relative to the `now` given, never to a calendar date.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { MempoolTransactionExtended } from '../../../helpers/fixtures.js';

export class Rand {
  private readonly rng;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
  }

  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)] as T;
  }

  chance(p: number): boolean {
    return this.int(0, 9_999) < p * 10_000;
  }

  /** Code points from awkward ranges: controls, combining marks, bidi overrides, CJK, lone surrogates, noncharacters, emoji. */
  unicode(length: number): string {
    const pools: Array<[number, number]> = [
      [0x00, 0x1f],
      [0x21, 0x7e],
      [0x300, 0x36f],
      [0x200b, 0x200f],
      [0x202a, 0x202e],
      [0x4e00, 0x4e40],
      [0xd800, 0xdfff],
      [0xfff0, 0xffff],
      [0x1f300, 0x1f64f],
    ];
    let s = String.fromCodePoint(0x202e); // never mistaken for hex or an address
    while (s.length < length) {
      const [lo, hi] = this.pick(pools);
      s += String.fromCodePoint(this.int(lo, hi));
    }
    return s;
  }
}

/** What the bad values are measured against. */
export interface FuzzContext {
  rand: Rand;
  /** Unix seconds at generation. */
  now: number;
  /** The server's tip (the init payload's newest block). */
  tip: { height: number; timestamp: number };
  /** Valid transactions to mutate: a whale (so a leak shows as a fourth whale) and small ones. */
  whale: MempoolTransactionExtended;
  small: MempoolTransactionExtended[];
  init: Record<string, unknown>;
}

type Category =
  | 'amount'
  | 'id'
  | 'height'
  | 'blockHeight'
  | 'time'
  | 'blockTime'
  | 'compressedTime'
  | 'vsize'
  | 'weight'
  | 'rate'
  | 'count'
  | 'price'
  | 'u32'
  | 'flags'
  | 'index'
  | 'address'
  | 'list'
  | 'nonEmptyList'
  | 'object'
  | 'prevout'
  | 'entry'
  | 'byTx';

const MAX_SATS = 2_100_000_000_000_000;

/** Values the input must refuse for each kind of field. */
function badValues(cat: Category, ctx: FuzzContext): unknown[] {
  const r = ctx.rand;
  const typeJunk = [null, true, [], {}, 'x'];
  switch (cat) {
    case 'amount':
      return [-1, 1.5, 15000000000.5, 1e300, MAX_SATS + 1, 2 ** 53, -1e-9, '1000', ...typeJunk];
    case 'id':
      return [
        'zz',
        'g'.repeat(64),
        'a'.repeat(63),
        'a'.repeat(65),
        ` ${'a'.repeat(63)}`,
        `${'a'.repeat(64)}\n`,
        `0x${'a'.repeat(62)}`,
        r.unicode(64),
        42,
        ...typeJunk,
      ];
    case 'height':
      return [-1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e300, 10_000_001, '900000', ...typeJunk];
    case 'blockHeight': // also a height that is valid alone but 5 million blocks above the tip
      return [...badValues('height', ctx), ctx.tip.height + 5_000_000];
    case 'time':
      return [1e13, -1, 0, 1e300, 1e9, ctx.now + 86_400, 8.64e12 + 1, '1700000000', true, [], {}, 'x'];
    case 'blockTime':
      return [...badValues('time', ctx), null];
    case 'compressedTime': // 0 means "unknown" there
      return [1e13, -1, 1e300, 1e9, ctx.now + 86_400, '1700000000', ...typeJunk];
    case 'vsize':
      return [0, -1, 1_000_001, 1e300, '225', ...typeJunk];
    case 'weight':
      return [0, -1, 1.5, 4_000_001, 1e300, '900', ...typeJunk];
    case 'rate':
      return [-1, 1e8, 1e300, '5', ...typeJunk];
    case 'count':
      return [-1, 1e13, 1e300, '5', ...typeJunk];
    case 'price': // ≤ 0 is valid ("unavailable"), as is an absent USD
      return [1e300, 2e9, '69000', ...typeJunk];
    case 'u32':
      return [-1, 2 ** 32, 1.5, '1', ...typeJunk];
    case 'flags':
      return [-1, 1.5, 2 ** 60, '1', ...typeJunk];
    case 'index':
      return [-1, 8, 1.5, '0', 1e300, ...typeJunk];
    case 'address': // null or absent is valid (a script without an address)
      return [123, '', 'a'.repeat(200), 'bc1q\u{1F4A9}', '<script>', 'bc1q x', r.unicode(30), true, [], {}];
    case 'list':
      return ['x', 5, null, true, {}];
    case 'nonEmptyList':
      return ['x', 5, null, true, {}, []];
    case 'object':
      return ['x', 5, null, true, [], 1e300];
    case 'prevout': // null is valid (coinbase, or a server without prevouts)
      return ['x', 5, true, []];
    case 'entry':
      return ['x', 5, null, true, {}, [], ['a'.repeat(64)]];
    case 'byTx':
      return ['zz', 5, null, true, []];
  }
}

interface Site {
  path: string;
  cat: Category;
}

/** Every field the input reads in a full transaction (`mempool-transactions.added[]`, `replaced[].by`). */
function txSites(tx: MempoolTransactionExtended): Site[] {
  const lastOut = tx.vout.length - 1;
  const lastIn = tx.vin.length - 1;
  const sites: Site[] = [
    { path: '.', cat: 'object' },
    { path: 'txid', cat: 'id' },
    { path: 'fee', cat: 'amount' },
    { path: 'vsize', cat: 'vsize' },
    { path: 'weight', cat: 'weight' },
    { path: 'firstSeen', cat: 'time' },
    { path: 'vin', cat: 'nonEmptyList' },
    { path: 'vout', cat: 'nonEmptyList' },
  ];
  for (const i of new Set([0, lastOut])) {
    sites.push({ path: `vout.${i}`, cat: 'object' });
    sites.push({ path: `vout.${i}.value`, cat: 'amount' });
    sites.push({ path: `vout.${i}.scriptpubkey_address`, cat: 'address' });
  }
  for (const i of new Set([0, lastIn])) {
    sites.push({ path: `vin.${i}`, cat: 'object' });
    sites.push({ path: `vin.${i}.sequence`, cat: 'u32' });
    sites.push({ path: `vin.${i}.txid`, cat: 'id' });
    sites.push({ path: `vin.${i}.vout`, cat: 'u32' });
    sites.push({ path: `vin.${i}.prevout`, cat: 'prevout' });
    sites.push({ path: `vin.${i}.prevout.value`, cat: 'amount' });
    sites.push({ path: `vin.${i}.prevout.scriptpubkey_address`, cat: 'address' });
  }
  return sites;
}

const BLOCK_SITES: Site[] = [
  { path: '.', cat: 'object' },
  { path: 'id', cat: 'id' },
  { path: 'height', cat: 'blockHeight' },
  { path: 'timestamp', cat: 'blockTime' },
];

const COMPRESSED_SITES: Site[] = [
  { path: '.', cat: 'entry' },
  { path: '0', cat: 'id' },
  { path: '1', cat: 'amount' },
  { path: '2', cat: 'vsize' },
  { path: '3', cat: 'amount' },
  { path: '4', cat: 'rate' },
  { path: '5', cat: 'flags' },
  { path: '6', cat: 'compressedTime' },
];

const PROJECTED_BLOCK_SITES: Site[] = [
  { path: '.', cat: 'object' },
  { path: 'feeRange', cat: 'list' },
  { path: 'feeRange.0', cat: 'rate' },
  { path: 'medianFee', cat: 'rate' },
  { path: 'nTx', cat: 'count' },
  { path: 'blockVSize', cat: 'count' },
];

const FEE_KEYS = ['fastestFee', 'halfHourFee', 'hourFee', 'economyFee', 'minimumFee'];

/** Set `value` at a dotted path; '.' replaces the root. A path through a non-object is left alone. */
function setPath(root: unknown, path: string, value: unknown): unknown {
  if (path === '.') return value;
  const keys = path.split('.');
  let o: unknown = root;
  for (const k of keys.slice(0, -1)) {
    if (typeof o !== 'object' || o === null) return root;
    o = (o as Record<string, unknown>)[k];
  }
  if (typeof o === 'object' && o !== null) (o as Record<string, unknown>)[keys.at(-1) as string] = value;
  return root;
}

/** A copy of `base` with one bad value at each given site (deepest first, so none hides another). */
function mutate(base: unknown, sites: Array<[Site, unknown]>): unknown {
  let out = structuredClone(base);
  const deepestFirst = [...sites].sort((a, b) => b[0].path.split('.').length - a[0].path.split('.').length);
  for (const [site, value] of deepestFirst) out = setPath(out, site.path, value);
  return out;
}

let fuzzIds = 0;
/** A fresh txid of a refused item: every one starts with `fa11` (so a leak is easy to spot). */
export const fuzzTxid = (): string => `fa11${(++fuzzIds).toString(16).padStart(60, '0')}`;
let controlIds = 0;
/** A fresh txid of an item that must be accepted: `c0de…`. */
export const controlTxid = (): string => `c0de${(++controlIds).toString(16).padStart(60, '0')}`;

const withTxid = (tx: MempoolTransactionExtended, txid: string): MempoolTransactionExtended => ({
  ...structuredClone(tx),
  txid,
});

/** A generated frame and what it exercises (for failure messages). */
export interface Frame {
  what: string;
  text: string;
}

const frame = (what: string, body: unknown): Frame => ({ what, text: JSON.stringify(body) });
const addedFrame = (txs: unknown[], extra: Record<string, unknown> = {}) => ({
  'mempool-transactions': { sequence: 1, added: txs, removed: [], mined: [], replaced: [], ...extra },
});

function blockOf(ctx: FuzzContext): Record<string, unknown> {
  return { id: fuzzTxid(), height: ctx.tip.height + 1, timestamp: ctx.now, tx_count: 1 };
}

function projectedBlocksOf(ctx: FuzzContext): unknown[] {
  return structuredClone(ctx.init['mempool-blocks'] as unknown[]);
}

function compressedOf(ctx: FuzzContext, btc = 927): unknown[] {
  return [fuzzTxid(), 1000, 225, Math.round(btc * 1e8), 4.44, 1, ctx.now - 120];
}

/**
 * One bad frame per (message, field, bad value): every field the input reads, in every message it
 * reads, with every kind of bad value (wrong type, out of range, non-hex, unicode).
 */
export function systematicFrames(ctx: FuzzContext): Frame[] {
  const frames: Frame[] = [];
  const each = (sites: Site[], make: (site: Site, value: unknown) => Frame | null) => {
    for (const site of sites)
      for (const value of badValues(site.cat, ctx)) {
        const f = make(site, value);
        if (f) frames.push(f);
      }
  };
  const txBase = () => withTxid(ctx.whale, fuzzTxid());
  const sitesOf = txSites(ctx.whale);
  each(sitesOf, (site, v) =>
    frame(`added ${site.path}=${String(v)}`, addedFrame([mutate(txBase(), [[site, v]])])),
  );
  each(sitesOf, (site, v) =>
    site.path === '.'
      ? null
      : frame(
          `replaced.by ${site.path}=${String(v)}`,
          addedFrame([], { replaced: [{ replaced: fuzzTxid(), by: mutate(txBase(), [[site, v]]) }] }),
        ),
  );
  each([{ path: 'replaced', cat: 'id' }], (_s, v) =>
    frame(`replaced.replaced=${String(v)}`, addedFrame([], { replaced: [{ replaced: v, by: txBase() }] })),
  );
  each([{ path: 'by', cat: 'byTx' }], (_s, v) =>
    frame(`replaced.by=${String(v)}`, addedFrame([], { replaced: [{ replaced: fuzzTxid(), by: v }] })),
  );
  each([{ path: '.', cat: 'object' }], (_s, v) =>
    frame(`replaced[0]=${String(v)}`, addedFrame([], { replaced: [v] })),
  );
  each([{ path: 'removed', cat: 'id' }], (_s, v) =>
    frame(`removed[0]=${String(v)}`, addedFrame([], { removed: [v] })),
  );
  for (const key of ['added', 'removed', 'mined', 'replaced'])
    each([{ path: key, cat: 'list' }], (_s, v) =>
      frame(`mempool-transactions.${key}=${String(v)}`, {
        'mempool-transactions': { [key]: v, added: key === 'added' ? v : [txBase()] },
      }),
    );
  each([{ path: '.', cat: 'object' }], (_s, v) =>
    frame(`mempool-transactions=${String(v)}`, { 'mempool-transactions': v }),
  );
  // Outputs (or inputs) that are each valid but add up to more than 21 million BTC.
  const over = txBase();
  over.vout = [
    { ...over.vout[0]!, value: MAX_SATS },
    { ...over.vout[0]!, value: MAX_SATS },
  ];
  frames.push(frame('outputs over 21M BTC', addedFrame([over])));
  const overIn = txBase();
  overIn.vin = [0, 1].map(() => ({
    ...overIn.vin[0]!,
    prevout: { ...overIn.vin[0]!.prevout!, value: MAX_SATS },
  }));
  frames.push(frame('inputs over 21M BTC', addedFrame([overIn])));
  // Neither vsize nor weight.
  const sizeless = txBase() as Partial<MempoolTransactionExtended>;
  delete sizeless.vsize;
  delete sizeless.weight;
  frames.push(frame('no vsize nor weight', addedFrame([sizeless])));

  // block (with the txids it mined) and blocks.
  each(BLOCK_SITES, (site, v) =>
    frame(`block ${site.path}=${String(v)}`, {
      block: mutate(blockOf(ctx), [[site, v]]),
      'mempool-transactions': {
        sequence: 2,
        added: [],
        removed: [],
        mined: [fuzzTxid(), 'zz'],
        replaced: [],
      },
    }),
  );
  each([{ path: 'mined', cat: 'id' }], (_s, v) =>
    frame(`mined[0]=${String(v)} (block refused)`, {
      block: { ...blockOf(ctx), timestamp: 1e13 },
      'mempool-transactions': { mined: [v] },
    }),
  );
  const recent = structuredClone(ctx.init.blocks as unknown[]);
  each(BLOCK_SITES, (site, v) =>
    frame(`blocks[8] ${site.path}=${String(v)}`, { blocks: [...recent, mutate(blockOf(ctx), [[site, v]])] }),
  );
  each([{ path: '.', cat: 'list' }], (_s, v) => frame(`blocks=${String(v)}`, { blocks: v }));

  // Stats messages.
  each(
    PROJECTED_BLOCK_SITES.map((s) => ({ ...s, path: s.path === '.' ? '1' : `1.${s.path}` })),
    (site, v) =>
      frame(`mempool-blocks ${site.path}=${String(v)}`, {
        'mempool-blocks': mutate(projectedBlocksOf(ctx), [[site, v]]),
      }),
  );
  each([{ path: '.', cat: 'list' }], (_s, v) =>
    frame(`mempool-blocks=${String(v)}`, { 'mempool-blocks': v }),
  );
  frames.push(
    frame('65 mempool-blocks', {
      'mempool-blocks': Array.from({ length: 65 }, () => projectedBlocksOf(ctx)[0]),
    }),
  );
  each(
    FEE_KEYS.map((k) => ({ path: k, cat: 'rate' as const })),
    (site, v) => frame(`fees.${site.path}=${String(v)}`, { fees: mutate(ctx.init.fees, [[site, v]]) }),
  );
  each([{ path: '.', cat: 'object' }], (_s, v) => frame(`fees=${String(v)}`, { fees: v }));
  each([{ path: 'bytes', cat: 'count' }], (site, v) =>
    frame(`mempoolInfo.bytes=${String(v)}`, { mempoolInfo: mutate(ctx.init.mempoolInfo, [[site, v]]) }),
  );
  each([{ path: '.', cat: 'object' }], (_s, v) => frame(`mempoolInfo=${String(v)}`, { mempoolInfo: v }));
  each([{ path: 'USD', cat: 'price' }], (site, v) =>
    frame(`conversions.USD=${String(v)}`, { conversions: mutate(ctx.init.conversions, [[site, v]]) }),
  );
  each([{ path: '.', cat: 'object' }], (_s, v) => frame(`conversions=${String(v)}`, { conversions: v }));

  // projected-block-transactions, live (unsolicited: validated, never emitted).
  const projected = (entries: unknown[], index: unknown = 0) => ({
    'projected-block-transactions': { index, sequence: 3, blockTransactions: entries },
  });
  each(COMPRESSED_SITES, (site, v) =>
    frame(`projected entry ${site.path}=${String(v)}`, projected([mutate(compressedOf(ctx), [[site, v]])])),
  );
  each([{ path: 'index', cat: 'index' }], (_s, v) =>
    frame(`projected index=${String(v)}`, projected([compressedOf(ctx)], v)),
  );
  each([{ path: 'blockTransactions', cat: 'list' }], (_s, v) =>
    frame(`projected blockTransactions=${String(v)}`, {
      'projected-block-transactions': { index: 0, blockTransactions: v },
    }),
  );
  each([{ path: '.', cat: 'object' }], (_s, v) =>
    frame(`projected-block-transactions=${String(v)}`, { 'projected-block-transactions': v }),
  );
  frames.push(frame('projected: neither list nor delta', { 'projected-block-transactions': { index: 0 } }));
  return frames;
}

/** Frame-level garbage: not JSON, truncated, deeply nested, not an object, unknown or prototype keys. */
export function garbageFrame(ctx: FuzzContext): Frame {
  const r = ctx.rand;
  const whaleFrame = () => JSON.stringify(addedFrame([withTxid(ctx.whale, fuzzTxid())]));
  const depth = r.int(1_000, 20_000);
  switch (r.int(0, 11)) {
    case 0:
      return { what: 'unicode noise', text: r.pick(['', '{', '[', '"', '{"']) + r.unicode(r.int(1, 200)) };
    case 1: {
      const text = whaleFrame();
      return { what: 'truncated whale frame', text: text.slice(0, r.int(1, text.length - 1)) };
    }
    case 2:
      return { what: `arrays ${depth} deep`, text: '['.repeat(depth) + ']'.repeat(depth) };
    case 3:
      return { what: `objects ${depth} deep`, text: '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) };
    case 4:
      return {
        what: `a transaction ${depth} arrays deep`,
        text: `{"mempool-transactions":{"added":[${'['.repeat(depth)}${']'.repeat(depth)}]}}`,
      };
    case 5:
      return {
        what: `a fee ${depth} objects deep`,
        text: whaleFrame().replace(/"fee":\d+/, `"fee":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
      };
    case 6:
      return {
        what: 'not an object',
        text: r.pick(['5', '"x"', 'null', 'true', '[]', '1e999', `[${whaleFrame()}]`, '"\\ud800"']),
      };
    case 7:
      return {
        what: 'unknown keys',
        text: JSON.stringify({
          [r.unicode(r.int(1, 60))]: JSON.parse(whaleFrame()),
          'mempool-transaction': JSON.parse(whaleFrame())['mempool-transactions'],
        }),
      };
    case 8:
      // A valid whale under __proto__ / constructor keys: read as nothing, never as the message.
      return {
        what: '__proto__ / constructor keys',
        text: r.pick([
          `{"__proto__":${whaleFrame()}}`,
          `{"constructor":${whaleFrame()},"prototype":${whaleFrame()}}`,
          `{"mempool-transactions":{"__proto__":${JSON.stringify({ added: [withTxid(ctx.whale, fuzzTxid())] })}}}`,
          `{"mempool-transactions":{"added":[{"__proto__":${JSON.stringify(withTxid(ctx.whale, fuzzTxid()))}}]}}`,
          `{"block":{"__proto__":${JSON.stringify(blockOf(ctx))}}}`,
          `{"fees":{"__proto__":${JSON.stringify(ctx.init.fees)}}}`,
          `{"blocks":[{"constructor":${JSON.stringify(blockOf(ctx))}}]}`,
        ]),
      };
    case 9: {
      // Duplicated keys: the last one wins (JSON.parse), and the last one is bad.
      const good = withTxid(ctx.whale, fuzzTxid());
      const goodText = JSON.stringify(good);
      return {
        what: 'duplicated keys, the last one bad',
        text: r.pick([
          `{"fees":${JSON.stringify(ctx.init.fees)},"fees":{"fastestFee":-1}}`,
          `{"mempool-transactions":{"added":[${goodText.slice(0, -1)},"fee":-1}]}}`,
          `{"mempool-transactions":{"added":[${goodText.slice(0, -1)},"txid":"${r.unicode(64)}"}]}}`,
          `{"mempool-transactions":{"added":[${goodText}]},"mempool-transactions":{"added":"x"}}`,
        ]),
      };
    }
    case 10:
      return { what: 'a NUL byte and a BOM', text: `\uFEFF${whaleFrame()}\u0000` };
    default:
      return { what: 'empty', text: r.pick(['', ' ', '\n', '{}', '{"mempool-transactions":{}}']) };
  }
}

/** A bad frame with one to three random bad values in one random message, sometimes dressed up. */
export function randomFrame(ctx: FuzzContext): Frame {
  const r = ctx.rand;
  const pickSites = (sites: Site[]) =>
    Array.from({ length: r.int(1, 3) }, () => {
      const site = r.pick(sites);
      return [site, r.pick(badValues(site.cat, ctx))] as [Site, unknown];
    });
  let body: Record<string, unknown>;
  let what: string;
  switch (r.int(0, 5)) {
    case 0: {
      const base = withTxid(r.chance(0.5) ? ctx.whale : r.pick(ctx.small), fuzzTxid());
      const muts = pickSites(txSites(base));
      body = addedFrame([mutate(base, muts)]);
      what = `added ${muts.map(([s]) => s.path).join(', ')}`;
      break;
    }
    case 1: {
      const muts = pickSites(BLOCK_SITES);
      body = { block: mutate(blockOf(ctx), muts), 'mempool-transactions': { mined: [fuzzTxid()] } };
      what = `block ${muts.map(([s]) => s.path).join(', ')}`;
      break;
    }
    case 2: {
      const muts = pickSites(COMPRESSED_SITES);
      body = {
        'projected-block-transactions': {
          index: r.int(0, 7),
          blockTransactions: [mutate(compressedOf(ctx), muts)],
        },
      };
      what = `projected ${muts.map(([s]) => s.path).join(', ')}`;
      break;
    }
    case 3: {
      const key = r.pick(FEE_KEYS);
      body = { fees: mutate(ctx.init.fees, [[{ path: key, cat: 'rate' }, r.pick(badValues('rate', ctx))]]) };
      what = `fees.${key}`;
      break;
    }
    case 4: {
      const i = r.int(0, projectedBlocksOf(ctx).length - 1);
      const muts = pickSites(
        PROJECTED_BLOCK_SITES.map((s) => ({ ...s, path: s.path === '.' ? `${i}` : `${i}.${s.path}` })),
      );
      body = { 'mempool-blocks': mutate(projectedBlocksOf(ctx), muts) };
      what = `mempool-blocks ${muts.map(([s]) => s.path).join(', ')}`;
      break;
    }
    default: {
      body = { conversions: { ...(ctx.init.conversions as object), USD: r.pick(badValues('price', ctx)) } };
      what = 'conversions.USD';
    }
  }
  // Dressing that must change nothing: an unknown unicode key, or a valid message under __proto__.
  let text = JSON.stringify(body);
  if (r.chance(0.2)) text = `{${JSON.stringify(r.unicode(12))}:1,${text.slice(1)}`;
  if (r.chance(0.2))
    text = `{"__proto__":${JSON.stringify(addedFrame([withTxid(ctx.whale, fuzzTxid())]))},${text.slice(1)}`;
  return { what, text };
}

/** Raw text of exactly `bytes` UTF-8 bytes: `frame` with an ignored `pad` field filled with `unit`. */
export function padTo(frameText: string, bytes: number, unit = 'x'): string {
  const open = frameText.slice(0, -1);
  const base = Buffer.byteLength(`${open},"pad":""}`);
  const unitBytes = Buffer.byteLength(unit);
  const n = Math.floor((bytes - base) / unitBytes);
  const fill = unit.repeat(n) + 'x'.repeat(bytes - base - n * unitBytes);
  const text = `${open},"pad":"${fill}"}`;
  if (Buffer.byteLength(text) !== bytes) throw new Error(`padTo: ${Buffer.byteLength(text)} != ${bytes}`);
  return text;
}

/** A transaction frame whose transaction carries an ignored `pad` field, padded to exactly `bytes`. */
export function paddedTxFrame(tx: MempoolTransactionExtended, bytes: number, unit = 'x'): string {
  const txText = JSON.stringify(tx);
  const prefix = '{"mempool-transactions":{"sequence":1,"added":[';
  const suffix = '],"removed":[],"mined":[],"replaced":[]}}';
  const inner = padTo(txText, bytes - Buffer.byteLength(prefix + suffix), unit);
  return prefix + inner + suffix;
}

/**
 * Valid transactions in odd clothing: each must be accepted (`tx.seen`). Returns the frames and
 * the txids they carry.
 */
export function controlFrames(ctx: FuzzContext, maxFrameBytes: number): { frames: Frame[]; txids: string[] } {
  const r = ctx.rand;
  const txids: string[] = [];
  const next = () => {
    const tx = withTxid(r.pick(ctx.small), controlTxid());
    txids.push(tx.txid);
    return tx;
  };
  const frames: Frame[] = [];
  {
    const tx = next();
    frames.push({
      what: 'control: __proto__ and constructor keys inside a transaction',
      text: JSON.stringify(addedFrame([tx])).replace(
        `"txid":"${tx.txid}"`,
        `"__proto__":{"fee":-1,"txid":"zz"},"constructor":"x","txid":"${tx.txid}"`,
      ),
    });
  }
  {
    const tx = next();
    const text = JSON.stringify(tx);
    frames.push({
      what: 'control: duplicated keys, the last one good',
      text: JSON.stringify(addedFrame([])).replace(
        '"added":[]',
        `"added":[{"fee":-1,"vout":"x",${text.slice(1)}]`,
      ),
    });
  }
  {
    const tx = next();
    for (const v of tx.vin) (v as unknown as Record<string, unknown>).scriptsig_asm = r.unicode(40);
    for (const o of tx.vout) (o as unknown as Record<string, unknown>).scriptpubkey_asm = r.unicode(40);
    frames.push({
      what: 'control: unicode in fields that are not read',
      text: JSON.stringify(addedFrame([tx])),
    });
  }
  {
    const tx = next() as Partial<MempoolTransactionExtended>;
    delete tx.vsize; // Esplora form: weight only
    delete tx.firstSeen;
    frames.push({ what: 'control: weight only, no firstSeen', text: JSON.stringify(addedFrame([tx])) });
  }
  {
    const tx = next();
    frames.push({
      what: 'control: beside an unknown key, bad fees and a bad transaction',
      text: JSON.stringify({
        surprise: r.unicode(10),
        fees: 'x',
        ...addedFrame([
          mutate(withTxid(ctx.whale, fuzzTxid()), [[{ path: 'fee', cat: 'amount' }, 1e300]]),
          tx,
        ]),
      }),
    });
  }
  frames.push({ what: 'control: exactly maxFrameBytes (ASCII)', text: paddedTxFrame(next(), maxFrameBytes) });
  frames.push({
    what: 'control: exactly maxFrameBytes (2- and 4-byte characters)',
    text: paddedTxFrame(next(), maxFrameBytes, r.pick(['é', '\u{1F4A9}'])),
  });
  return { frames, txids };
}

/** Around the size limit: refused (and one that closes the connection), each with a whale inside. */
export function oversizeFrames(ctx: FuzzContext, maxFrameBytes: number): Frame[] {
  const whale = () => withTxid(ctx.whale, fuzzTxid());
  const noise = JSON.stringify({ loadingIndicators: { mempool: 100 } });
  return [
    { what: 'ignored key, exactly maxFrameBytes', text: padTo(noise, maxFrameBytes) },
    { what: 'ignored key, maxFrameBytes + 1', text: padTo(noise, maxFrameBytes + 1) },
    { what: 'whale, maxFrameBytes + 1 (ASCII)', text: paddedTxFrame(whale(), maxFrameBytes + 1) },
    // Fewer characters than the limit, more bytes: only the byte count catches it.
    {
      what: 'whale, maxFrameBytes + 1 bytes in 2-byte characters',
      text: paddedTxFrame(whale(), maxFrameBytes + 1, 'é'),
    },
    {
      what: 'whale, twice maxFrameBytes (the connection stays)',
      text: paddedTxFrame(whale(), 2 * maxFrameBytes),
    },
  ];
}

/** Over twice the limit: the WebSocket library closes the connection (1009) and the input reconnects. */
export function connectionClosingFrame(ctx: FuzzContext, maxFrameBytes: number): Frame {
  return {
    what: 'whale, twice maxFrameBytes + 1 (closes the connection)',
    text: paddedTxFrame(withTxid(ctx.whale, fuzzTxid()), 2 * maxFrameBytes + 1),
  };
}

/**
 * Projected-block entries for gap recovery: one bad value each (all of the repro values among them).
 * With `arraysOnly`, every entry is an array (a bad value inside), as the fake's typed list needs.
 */
export function badCompressedEntries(ctx: FuzzContext, n: number, arraysOnly = false): unknown[] {
  const r = ctx.rand;
  const entries: unknown[] = [
    [fuzzTxid(), 2250, 225, 250e9, 10, 1, 1e13],
    [fuzzTxid(), 1000, 200, 1e300, 5, 0, ctx.now - 60],
    [fuzzTxid(), 1000, 200, 15000000000.5, 5, 0, ctx.now - 60],
  ];
  const sites = arraysOnly ? COMPRESSED_SITES.filter((s) => s.path !== '.') : COMPRESSED_SITES;
  while (entries.length < n) {
    const site = r.pick(sites);
    entries.push(mutate(compressedOf(ctx), [[site, r.pick(badValues(site.cat, ctx))]]));
  }
  return entries;
}

/** A valid projected-block entry of `btc`, with a control txid. */
export function controlEntry(
  ctx: FuzzContext,
  btc: number,
  time: number,
): [string, number, number, number, number, number, number] {
  return [controlTxid(), 1500, 150, Math.round(btc * 1e8), 10, 0, time];
}
