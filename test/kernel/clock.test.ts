import { afterEach, describe, expect, it } from 'vitest';
import type { AnyEnvelope } from '../../src/bus/envelope.js';
import type { TxSeen, WhaleSignal } from '../../src/bus/events.js';
import { createKernel } from '../../src/kernel/kernel.js';
import { defineJob } from '../../src/plugin/define.js';
import { createMemoryStore } from '../../src/store/memory.js';
import whale from '../../plugins/detectors/whale/index.js';
import { captureLog, config, instance, NoOptions } from '../helpers/kernel.js';

// The kernel's clock (`createKernel({ now })`): what plugins read as ctx.now() and what envelopes
// are stamped with, so that a replay on a recording's clock answers as the live run did.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const tx = (firstSeen: string): TxSeen => ({
  txid: 'c'.repeat(64),
  valueSats: 500e8,
  feeSats: 2000,
  vsize: 200,
  feeRate: 10,
  inputs: [],
  outputs: [{ address: null, valueSats: 500e8 }],
  rbfSignaling: false,
  firstSeen,
});

describe('kernel clock', () => {
  it('ctx.now(), envelope times and a whale’s detectedAt follow the given clock, not the wall clock', async () => {
    let clock = Date.parse('2031-05-06T07:08:09.000Z');
    const seen: number[] = [];
    const probe = defineJob({
      name: 'probe',
      options: NoOptions,
      setup: (ctx) => void seen.push(ctx.now()),
    });
    const kernel = createKernel({
      config: config([
        instance('whales', whale, { options: { thresholdBtc: 100, explorer: 'https://mempool.space/tx/' } }),
        instance('probe', probe),
      ]),
      log: captureLog().log,
      store: createMemoryStore(),
      now: () => clock,
    });
    const events: AnyEnvelope[] = [];
    kernel.bus.tap((e) => events.push(e));
    await kernel.start();
    cleanups.push(() => kernel.stop());
    expect(seen).toEqual([Date.parse('2031-05-06T07:08:09.000Z')]);

    clock = Date.parse('2031-05-06T07:10:00.000Z');
    kernel.bus.publish('tx.seen', tx('2031-05-06T07:09:30.000Z'), 'feed');
    await kernel.bus.drain();
    const detected = events.find((e) => e.type === 'whale.detected')!;
    expect(detected.time).toBe('2031-05-06T07:10:00.000Z');
    expect((detected.data as WhaleSignal).detectedAt).toBe('2031-05-06T07:10:00.000Z');
    expect(events.find((e) => e.type === 'tx.seen')!.time).toBe('2031-05-06T07:10:00.000Z');
  });

  it('is the wall clock when none is given', async () => {
    const kernel = createKernel({
      config: config([instance('whales', whale, { options: { thresholdBtc: 100, explorer: 'x/' } })]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    const events: AnyEnvelope[] = [];
    kernel.bus.tap((e) => events.push(e));
    await kernel.start();
    cleanups.push(() => kernel.stop());
    const before = Date.now();
    kernel.bus.publish('tx.seen', tx(new Date(before - 60_000).toISOString()), 'feed');
    await kernel.bus.drain();
    const at = Date.parse((events.find((e) => e.type === 'whale.detected')!.data as WhaleSignal).detectedAt);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});
