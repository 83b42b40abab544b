import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { createReplayClock } from '../../src/backtest/clock.js';
import { backtestPipeline } from '../../src/backtest/config.js';
import { RECORDING_VERSION, type RecordedEvent } from '../../src/backtest/format.js';
import { openRecording } from '../../src/backtest/reader.js';
import { replay } from '../../src/backtest/replay.js';
import { createRecordingWriter } from '../../src/backtest/writer.js';
import type { MempoolStats, TxSeen } from '../../src/bus/events.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { defineDetector } from '../../src/plugin/define.js';
import { Type } from '@sinclair/typebox';
import { tempDir } from './helpers.js';

const T0 = Date.parse('2025-06-01T12:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const txid = (n: number) => n.toString(16).padStart(64, '0');

const whale = (n: number, minutes: number, feeRate: number): RecordedEvent<'tx.seen'> => ({
  type: 'tx.seen',
  time: at(minutes),
  source: 'feed',
  data: {
    txid: txid(n),
    valueSats: 500e8,
    feeSats: feeRate * 200,
    vsize: 200,
    feeRate,
    inputs: [],
    outputs: [{ address: 'bc1qexample', valueSats: 500e8 }],
    rbfSignaling: false,
    firstSeen: at(minutes),
  } satisfies TxSeen,
});
const block = (height: number, minutes: number, txids: string[]): RecordedEvent<'block.connected'> => ({
  type: 'block.connected',
  time: at(minutes),
  source: 'feed',
  data: { height, hash: height.toString(16).padStart(64, 'b'), time: at(minutes), txids },
});
const stats = (minutes: number): RecordedEvent<'mempool.stats'> => ({
  type: 'mempool.stats',
  time: at(minutes),
  source: 'feed',
  data: {
    projectedBlocks: [1, 2, 3].map((i) => ({
      feeRange: [10 / i, 20 / i, 50 / i],
      medianFee: 20 / i,
      nTx: 3000,
      vsize: 997_000,
    })),
    recommendedFees: { fastestFee: 50, halfHourFee: 20, hourFee: 10, economyFee: 5, minimumFee: 1 },
    mempoolVsize: 3_000_000,
  } satisfies MempoolStats,
});

/** Write `events` as a recording, replay it through `yaml` (detectors and jobs), return the whales. */
async function backtest(events: RecordedEvent[], yaml: string, extra: Record<string, unknown> = {}) {
  const dir = await tempDir('replay');
  const out = join(dir, 'rec.ndjson.gz');
  const writer = createRecordingWriter({
    out,
    maxBytes: 1 << 30,
    force: false,
    onError: (e) => {
      throw e;
    },
    header: (part) => ({
      spout: 'recording',
      version: RECORDING_VERSION,
      spoutVersion: 'test',
      startedAt: at(0),
      part,
      inputs: [{ instance: 'feed', plugin: 'replay' }],
    }),
  });
  for (const e of events) await writer.write(e);
  await writer.close();
  const catalogue = {
    ...BUILTIN_PLUGINS,
    detector: { ...BUILTIN_PLUGINS.detector, ...extra },
  } as typeof BUILTIN_PLUGINS;
  const user = await parseConfig(yaml, 'test.yaml', dir, {}, catalogue);
  const clock = createReplayClock();
  const { config } = await backtestPipeline({ user, catalogue, clock, cwd: dir });
  const result = await replay({
    config,
    clock,
    files: [(await openRecording(out, 'rec.ndjson.gz'))!],
    log: createLogger({ level: 'silent', format: 'json' }).log,
  });
  return result.whales;
}

describe('replay', () => {
  it('runs the detectors on the recording’s clock: detectedAt and the age of the mempool stats are recorded times', async () => {
    const realStart = Date.now();
    const whales = await backtest(
      [stats(0), whale(1, 1, 30), whale(2, 10, 30), block(800_000, 12, [txid(1), txid(2)])],
      'detectors:\n  whales: { use: whale }\n  urgency: { use: urgency, staleAfter: 5m }\njobs:\n  correlation: { use: correlation }',
    );
    expect(whales.map((w) => [w.signal.detectedAt, w.signal.urgency?.basis.startsWith('static')])).toEqual([
      [at(1), false],
      // Nine recorded minutes after the stats: stale, though the replay took milliseconds.
      [at(10), true],
    ]);
    expect(whales[1]!.signal.urgency?.basis).toBe('static (mempool stats 600 s old)');
    expect(whales.map((w) => [w.outcome?.status, w.outcome?.settledAt, w.outcome?.minutesWaited])).toEqual([
      ['confirmed', at(12), 11],
      ['confirmed', at(12), 2],
    ]);
    // The real clock is back.
    expect(Date.now()).toBeGreaterThanOrEqual(realStart);
    expect(Math.abs(Date.now() - new Date().getTime())).toBeLessThan(1000);
  });

  it('hands a block to the correlation job only after the whales before it: blocks waited as live', async () => {
    // A slow annotation: the whale.detected leaves the chain well after the next block was read.
    const slow = defineDetector({
      name: 'slow',
      options: Type.Object({}),
      setup: () => ({ annotate: () => new Promise<void>((r) => setTimeout(r, 30)) }),
    });
    const whales = await backtest(
      [block(800_000, 0, []), whale(1, 1, 30), block(800_001, 5, []), block(800_002, 9, [txid(1)])],
      'detectors:\n  whales: { use: whale }\n  slow: { use: slow }\njobs:\n  correlation: { use: correlation }',
      { slow: () => Promise.resolve({ default: slow }) },
    );
    // Tip 800,000 when it was detected, mined in 800,002: two blocks, not one.
    expect(whales.map((w) => [w.outcome?.status, w.outcome?.height, w.outcome?.blocksWaited])).toEqual([
      ['confirmed', 800_002, 2],
    ]);
  });
});
