import { readFileSync } from 'node:fs';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRejections } from '../../../../plugins/inputs/mempool/rejections.js';
import {
  Check,
  createTipGuard,
  JUMP_BASE,
  MAX_SATS,
  REJECT_REASONS,
  type RejectReason,
} from '../../../../plugins/inputs/mempool/validate.js';
import { captureLog } from '../../../helpers/kernel.js';

// A fixed clock: the bounds below are relative to it, never to today's date.
const NOW = Date.parse('2026-11-21T10:00:00Z');
const check = () => new Check(() => NOW, 'msg');

/** What a reader makes of a value: the value it returns, or the reason it refused it. */
function read<T>(v: unknown, reader: (c: Check, v: unknown) => T): T | RejectReason {
  const c = check();
  const out = reader(c, v);
  return c.failure ? c.failure.reason : out;
}

describe('the validators (validate.ts)', () => {
  it('amount: whole satoshis from 0 to 21 million BTC', () => {
    const amount = (v: unknown) => read(v, (c, x) => c.amount(x, 'value'));
    for (const ok of [0, 1, 15_000_000_000, MAX_SATS]) expect(amount(ok)).toBe(ok);
    for (const bad of [
      -1,
      1.5,
      15000000000.5,
      1e300,
      MAX_SATS + 1,
      2 ** 53,
      Number.NaN,
      Infinity,
      '1',
      null,
      {},
    ])
      expect(amount(bad)).toBe('bad-amount');
  });

  it('id: 64 hex digits, lower-cased; nothing else (no padding, newline, prefix or unicode)', () => {
    const id = (v: unknown) => read(v, (c, x) => c.id(x, 'txid'));
    expect(id('AB'.repeat(32))).toBe('ab'.repeat(32));
    for (const bad of [
      'a'.repeat(63),
      'a'.repeat(65),
      'g'.repeat(64),
      `${'a'.repeat(64)}\n`,
      ` ${'a'.repeat(63)}`,
      '٣'.repeat(64),
      42,
      null,
    ])
      expect(id(bad)).toBe('bad-id');
  });

  it('height: a safe integer from 0 to 10,000,000', () => {
    const height = (v: unknown) => read(v, (c, x) => c.height(x, 'height'));
    for (const ok of [0, 277_647, 10_000_000]) expect(height(ok)).toBe(ok);
    for (const bad of [-1, 1.5, 10_000_001, Number.MAX_SAFE_INTEGER, 1e300, '900000'])
      expect(height(bad)).toBe('bad-height');
  });

  it('time: unix seconds from 2009 to the clock + 2 h, as ISO 8601; never a RangeError', () => {
    const time = (v: unknown) => read(v, (c, x) => c.time(x, 'timestamp'));
    expect(time(1388367102)).toBe('2013-12-30T01:31:42.000Z');
    expect(time(NOW / 1000 + 7200)).toBe('2026-11-21T12:00:00.000Z');
    for (const bad of [
      1e13,
      8.64e12 + 1,
      1e300,
      -1,
      0,
      1e9,
      NOW / 1000 + 7201,
      Number.NaN,
      '1700000000',
      null,
    ])
      expect(time(bad)).toBe('bad-time');
  });

  it('sizes, rates, counts, prices, u32, flags, index and address each have their reason', () => {
    expect(read(0.25, (c, x) => c.vsize(x, 'vsize'))).toBe(0.25);
    expect(read(0, (c, x) => c.vsize(x, 'vsize'))).toBe('bad-size');
    expect(read(1_000_001, (c, x) => c.vsize(x, 'vsize'))).toBe('bad-size');
    expect(read(1.5, (c, x) => c.weight(x, 'weight'))).toBe('bad-size');
    expect(read(4_000_001, (c, x) => c.weight(x, 'weight'))).toBe('bad-size');
    expect(read(1.523, (c, x) => c.rate(x, 'fee'))).toBe(1.523);
    expect(read(1e300, (c, x) => c.rate(x, 'fee'))).toBe('bad-rate');
    expect(read(1e13, (c, x) => c.count(x, 'nTx'))).toBe('bad-count');
    expect(read(-1, (c, x) => c.price(x, 'USD'))).toBe(-1); // the server's "unavailable"
    expect(read(1e300, (c, x) => c.price(x, 'USD'))).toBe('bad-price');
    expect(read(0xffffffff, (c, x) => c.u32(x, 'sequence'))).toBe(0xffffffff);
    expect(read(2 ** 32, (c, x) => c.u32(x, 'sequence'))).toBe('bad-field');
    expect(read(1099511631877, (c, x) => c.flags(x, 'flags'))).toBe(1099511631877);
    expect(read(2 ** 60, (c, x) => c.flags(x, 'flags'))).toBe('bad-field');
    expect(read(8, (c, x) => c.index(x, 'index', 8))).toBe('bad-field');
    expect(read(undefined, (c, x) => c.address(x, 'address'))).toBe(null);
    expect(read('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', (c, x) => c.address(x, 'a'))).toBe(
      'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
    );
    for (const bad of ['', 'a'.repeat(129), 'bc1q x', '<b>', 'bc1q\u202e', 5])
      expect(read(bad, (c, x) => c.address(x, 'a'))).toBe('bad-address');
  });

  it('keeps the first failure with where it was, and `take` clears it for the next item', () => {
    const c = check();
    c.amount(1.5, () => 'vout[3].value');
    c.id('zz', 'txid');
    expect(c.failure).toEqual({
      reason: 'bad-amount',
      why: 'msg.vout[3].value: 1.5 is not whole satoshis in 0…2.1e15',
    });
    expect(c.take()?.reason).toBe('bad-amount');
    expect(c.ok).toBe(true);
    c.object([], '[2]');
    expect(c.failure?.why).toBe('msg[2]: an array is not an object');
  });
});

describe('the tip guard: how far above the known tip a block may be', () => {
  const tip2024 = { height: 837_050, time: 1_711_854_927 }; // the fixture init payload's tip
  it('accepts anything before a tip is known, and any height at or below it', () => {
    const guard = createTipGuard(() => NOW);
    expect(guard.check(9_999_999, NOW / 1000)).toBeNull();
    guard.set(tip2024.height, tip2024.time);
    expect(guard.check(277_647, 1388367102)).toBeNull();
    expect(guard.check(tip2024.height, tip2024.time)).toBeNull();
  });

  it('allows a week of blocks plus one per 2 minutes of the blocks’ own times, and refuses more', () => {
    const guard = createTipGuard(() => NOW);
    guard.set(tip2024.height, tip2024.time);
    const nowSec = NOW / 1000;
    expect(guard.check(tip2024.height + JUMP_BASE, tip2024.time)).toBeNull();
    expect(guard.check(tip2024.height + JUMP_BASE + 1, tip2024.time)?.reason).toBe('implausible-height');
    expect(guard.check(900_000, nowSec)).toBeNull(); // 2.7 years later: plausible
    const absurd = guard.check(5_837_050, nowSec);
    expect(absurd?.reason).toBe('implausible-height');
    expect(absurd?.why).toMatch(
      /^height 5837050 is 5000000 blocks above the tip 837050 \(at most \d+ plausible\)$/,
    );
  });

  it('also allows for the time the tip has been known locally (a long disconnection)', () => {
    let now = NOW;
    const guard = createTipGuard(() => now);
    guard.set(900_000, NOW / 1000);
    expect(guard.check(905_000, NOW / 1000)?.reason).toBe('implausible-height');
    now += 30 * 86_400_000; // 30 days later, by the local clock
    expect(guard.check(905_000, NOW / 1000)).toBeNull();
  });
});

describe('rejections: counted per reason, logged at a bounded rate', () => {
  it('counts every refusal under spout_input_rejected_total{instance,reason}, logging the first and then one summary per 10 s', async () => {
    const registry = new Registry();
    const metric = new Counter({
      name: 'spout_input_rejected_total',
      help: 'h',
      labelNames: ['instance', 'reason'],
      registers: [registry],
    });
    const log = captureLog();
    let now = 0;
    const r = createRejections(log.log, metric, 'feed', 10_000, () => now);
    for (let i = 0; i < 1000; i++) r.reject('bad-amount', `value ${i}`);
    r.reject('bad-time', 'timestamp 1e13');
    now += 10_000;
    r.reject('bad-amount', 'again');
    expect(r.counts()).toEqual({ 'bad-amount': 1001, 'bad-time': 1 });
    const text = await registry.metrics();
    expect(text).toContain('spout_input_rejected_total{instance="feed",reason="bad-amount"} 1001');
    expect(log.lines.map((l) => l.msg)).toEqual([
      'ignored bad input (bad-amount): value 0',
      'ignored bad input (bad-time): timestamp 1e13',
      'ignored bad input (bad-amount): again (+999 more since the last report)',
    ]);
  });

  it('docs/inputs.md lists every reason in its table', () => {
    const doc = readFileSync(new URL('../../../../docs/inputs.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('| reason | refused |'));
    const listed = [...table.slice(0, table.indexOf('\n\n')).matchAll(/^\| `([a-z-]+)` \|/gm)].map(
      (m) => m[1],
    );
    expect(listed).toEqual(REJECT_REASONS);
  });

  it('the reasons are the documented list', () => {
    expect(REJECT_REASONS).toEqual([
      'oversize',
      'invalid-json',
      'not-object',
      'unknown-key',
      'bad-shape',
      'bad-id',
      'bad-amount',
      'bad-size',
      'bad-rate',
      'bad-count',
      'bad-price',
      'bad-height',
      'implausible-height',
      'bad-time',
      'bad-address',
      'bad-field',
      'internal',
    ]);
  });
});
