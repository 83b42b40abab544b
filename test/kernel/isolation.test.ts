import { describe, expect, it } from 'vitest';
import type { AnyEnvelope } from '../../src/bus/envelope.js';
import type { TxSeen, WhaleSignal } from '../../src/bus/events.js';
import { createKernel } from '../../src/kernel/kernel.js';
import { defineDetector, defineOutput } from '../../src/plugin/define.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { captureLog, config, instance, NoOptions } from '../helpers/kernel.js';

const tx = (txid: string, valueSats: number): TxSeen => ({
  txid,
  valueSats,
  feeSats: 1000,
  vsize: 200,
  feeRate: 5,
  inputs: [],
  outputs: [{ address: 'bc1qexample', valueSats }],
  rbfSignaling: false,
  firstSeen: '2026-11-21T10:00:00.000Z',
});

const collector = (name: string, sink: AnyEnvelope[], events = ['whale.*'] as const) =>
  defineOutput({
    name,
    options: NoOptions,
    defaultEvents: [...events],
    setup: () => ({ deliver: (e) => void sink.push(e) }),
  });

describe('failure isolation', () => {
  it('a throwing output does not keep the event from the other outputs; the failure names instance and event type', async () => {
    const log = captureLog();
    const got: AnyEnvelope[] = [];
    const thrower = defineOutput({
      name: 'thrower',
      options: NoOptions,
      defaultEvents: ['whale.*'],
      setup: () => ({
        deliver(e) {
          if (e.type === 'whale.confirmed') throw new Error('endpoint exploded');
        },
      }),
    });
    const kernel = createKernel({
      config: config([instance('flaky', thrower), instance('steady', collector('c', got))]),
      log: log.log,
      store: createMemoryStore(),
    });
    await kernel.start();
    kernel.bus.publish(
      'whale.confirmed',
      { txid: 'a'.repeat(64), height: 1, blocksWaited: 1, minutesWaited: 3, predictedBlocks: 1 },
      'test',
    );
    kernel.bus.publish('whale.dropped', { txid: 'b'.repeat(64), reason: 'evicted' }, 'test');
    await kernel.bus.drain();
    expect(got.map((e) => e.type)).toEqual(['whale.confirmed', 'whale.dropped']);
    const failure = log.lines.find((l) => l.level === 'error');
    expect(failure).toMatchObject({
      instance: 'flaky',
      event: 'whale.confirmed',
      msg: '[flaky] failed on whale.confirmed: endpoint exploded',
    });
    const metrics = await kernel.metrics.registry.getSingleMetricAsString('spout_handler_failures_total');
    expect(metrics).toContain('spout_handler_failures_total{instance="flaky",event="whale.confirmed"} 1');
    await kernel.stop();
  });

  it('the detector chain admits in config order, annotates with every detector, and isolates a throwing detector', async () => {
    const log = captureLog();
    const got: AnyEnvelope[] = [];
    const threshold = defineDetector({
      name: 'threshold',
      options: NoOptions,
      setup: () => ({
        admit: (t): WhaleSignal | null =>
          t.valueSats > 100e8
            ? {
                txid: t.txid,
                valueSats: t.valueSats,
                valueBtc: t.valueSats / 1e8,
                valueUsd: null,
                feeSats: t.feeSats,
                vsize: t.vsize,
                feeRate: t.feeRate,
                status: 'pending',
                firstSeen: t.firstSeen,
                detectedAt: '2026-11-21T10:00:00.001Z',
                url: `https://mempool.space/tx/${t.txid}`,
              }
            : null,
      }),
    });
    const flaky = defineDetector({
      name: 'flaky',
      options: NoOptions,
      setup: () => ({
        annotate(t) {
          if (t.txid.startsWith('b')) throw new Error('label file vanished');
          return { flow: { type: 'inflow', from: null, to: 'Example Exchange' } };
        },
      }),
    });
    const rbf = defineDetector({
      name: 'rbf',
      options: NoOptions,
      setup: () => ({ annotate: (t) => ({ rbf: { signaling: t.rbfSignaling, replaces: [] } }) }),
    });
    const kernel = createKernel({
      config: config([
        instance('whales', threshold),
        instance('flow', flaky),
        instance('rbf', rbf),
        instance('out', collector('c', got, ['whale.detected'] as never)),
      ]),
      log: log.log,
      store: createMemoryStore(),
    });
    await kernel.start();
    kernel.bus.publish('tx.seen', tx('a'.repeat(64), 150e8), 'feed');
    kernel.bus.publish('tx.seen', tx('c'.repeat(64), 100e8), 'feed'); // not over the threshold
    kernel.bus.publish('tx.seen', tx('b'.repeat(64), 200e8), 'feed'); // flow throws on this one
    kernel.bus.publish('tx.seen', tx('d'.repeat(64), 300e8), 'feed');
    await kernel.bus.drain();
    expect(
      got.map((e) => [
        e.source,
        (e.data as WhaleSignal).txid[0],
        (e.data as WhaleSignal).flow?.type ?? null,
        (e.data as WhaleSignal).rbf?.signaling,
      ]),
    ).toEqual([
      ['whales', 'a', 'inflow', false],
      ['whales', 'b', null, false],
      ['whales', 'd', 'inflow', false],
    ]);
    expect(log.lines.find((l) => l.level === 'error')).toMatchObject({ instance: 'flow', event: 'tx.seen' });
    const latency = await kernel.metrics.registry.getSingleMetricAsString('spout_detection_latency_seconds');
    expect(latency).toContain('spout_detection_latency_seconds_count 3');
    await kernel.stop();
  });
});

describe('a detector that never answers', () => {
  it('is cut off after HOOK_TIMEOUT_MS on that transaction; detection goes on', async () => {
    const { vi } = await import('vitest');
    const { HOOK_TIMEOUT_MS } = await import('../../src/kernel/detector-chain.js');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const log = captureLog();
      const got: AnyEnvelope[] = [];
      const admitAll = defineDetector({
        name: 'all',
        options: NoOptions,
        setup: () => ({
          admit: (t): WhaleSignal => ({
            txid: t.txid,
            valueSats: t.valueSats,
            valueBtc: t.valueSats / 1e8,
            valueUsd: null,
            feeSats: 0,
            vsize: 1,
            feeRate: 0,
            status: 'pending',
            firstSeen: t.firstSeen,
            detectedAt: t.firstSeen,
            url: '',
          }),
        }),
      });
      const hangs = defineDetector({
        name: 'hangs',
        options: NoOptions,
        setup: () => ({
          annotate: (t) =>
            t.txid.startsWith('a')
              ? new Promise<never>(() => {})
              : { flow: { type: 'unknown', from: null, to: null } },
        }),
      });
      const kernel = createKernel({
        config: config([
          instance('all', admitAll),
          instance('hangs', hangs),
          instance('out', collector('c', got, ['whale.detected'] as never)),
        ]),
        log: log.log,
        store: createMemoryStore(),
      });
      await kernel.start();
      kernel.bus.publish('tx.seen', tx('a'.repeat(64), 1), 'feed');
      kernel.bus.publish('tx.seen', tx('b'.repeat(64), 2), 'feed');
      await vi.advanceTimersByTimeAsync(HOOK_TIMEOUT_MS);
      await kernel.bus.drain();
      expect(got.map((e) => (e.data as WhaleSignal).txid[0])).toEqual(['a', 'b']);
      expect(log.lines.find((l) => l.level === 'error')).toMatchObject({
        instance: 'hangs',
        msg: `[hangs] failed on tx.seen: did not answer within ${HOOK_TIMEOUT_MS} ms`,
      });
      vi.useRealTimers();
      await kernel.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
