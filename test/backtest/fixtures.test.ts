import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrackMempool, startFakeMempool, type FakeMempool } from '../helpers/fake-mempool.js';
import { hasFixtures, loadBlock277647 } from '../helpers/fixtures.js';
import { backtestJson, readRecording, run, start, tempDir, writeConfig } from './helpers.js';

// A third-party detector giving every whale the same ETA: 5–15 minutes, median 10.
const FIXED_ETA = `export default {
  kind: 'detector',
  name: 'fixed-eta',
  options: { type: 'object', properties: {}, additionalProperties: false },
  setup: () => ({ annotate: () => ({ eta: { blocks: 1, p10Minutes: 5, p50Minutes: 10, p90Minutes: 15 } }) }),
};
`;

describe.skipIf(!hasFixtures)(
  'record from the fake mempool.space on real block 277647, then backtest (built CLI)',
  () => {
    let fake: FakeMempool;
    let dir: string;
    let config: string;
    let recording: string;
    const whales = hasFixtures
      ? loadBlock277647().filter((t) => t.vout.reduce((s, o) => s + o.value, 0) > 100e8)
      : [];
    const ordinary = hasFixtures ? loadBlock277647().slice(1, 6) : [];

    beforeAll(async () => {
      fake = await startFakeMempool();
      dir = await tempDir('backtest-fixtures');
      await writeFile(join(dir, 'fixed-eta.mjs'), FIXED_ETA);
      config = await writeConfig(
        dir,
        [
          'log: { level: info, format: json }',
          'http: { enabled: false }',
          `storage: { path: ${join(dir, 'spout.json')} }`,
          'inputs:',
          `  feed: { use: mempool, url: "${fake.url}" }`,
          'detectors:',
          '  whales: { use: whale, thresholdBtc: 100 }',
          '  urgency: { use: urgency }',
          '  rbf: { use: rbf }',
          '  eta: { use: ./fixed-eta.mjs }',
          'jobs:',
          '  correlation: { use: correlation }',
          'outputs:',
          '  out: { use: console, format: json }',
        ].join('\n'),
      );
      recording = join(dir, 'mempool.ndjson.gz');
      const recorder = start(['record', '-c', config, '--out', recording]);
      try {
        await fake.waitForMessage(isTrackMempool(1));
        // Whole seconds, as mempool.space sends them: the whales wait 600 and 1200 s for their blocks.
        const now = Math.round(Date.now() / 1000);
        fake.pushBlock({ id: 'a'.repeat(64), height: 900_000, timestamp: now }, []);
        fake.pushMempool({ added: [...whales, ...ordinary] });
        fake.pushBlock({ id: 'b'.repeat(64), height: 900_001, timestamp: now + 600 }, [
          whales[0]!.txid,
          whales[1]!.txid,
          ordinary[0]!.txid,
        ]);
        fake.pushBlock({ id: 'c'.repeat(64), height: 900_002, timestamp: now + 1200 }, [whales[2]!.txid]);
        await recorder.waitFor('block 900002 recorded');
      } finally {
        recorder.child.kill('SIGINT');
      }
      expect((await recorder.exited).code).toBe(0);
    });
    afterAll(() => fake?.close());

    it('records what the mempool input published and settles the three whales as they were mined', async () => {
      const { header, events } = await readRecording(recording);
      expect(header.inputs).toEqual([{ instance: 'feed', plugin: 'mempool' }]);
      expect(
        events.filter((e) => e.type === 'tx.seen').map((e) => (e.data as { txid: string }).txid),
      ).toEqual(expect.arrayContaining([...whales, ...ordinary].map((t) => t.txid)));
      expect(whales.map((w) => w.txid.slice(0, 8))).toEqual(['d3852055', '5143ba55', '712db987']);

      const { report, stderr } = await backtestJson([recording]);
      expect(stderr).toBe('');
      expect(report.whales.map((w) => [w.txid, w.status, w.height, w.blocksWaited, w.minutesWaited])).toEqual(
        [
          [whales[0]!.txid, 'confirmed', 900_001, 1, 10],
          [whales[1]!.txid, 'confirmed', 900_001, 1, 10],
          [whales[2]!.txid, 'confirmed', 900_002, 2, 20],
        ],
      );
      expect(report.all).toMatchObject({ whales: 3, confirmed: 3, replaced: 0, dropped: 0, pending: 0 });
      // 927 and 133 BTC paid no fee (2013): both in the lowest band.
      expect(report.byFeeBand.find((b) => b.band === '<5')).toMatchObject({ whales: 2, confirmed: 2 });
    });

    it('reports ETA calibration, errors and scores with the detectors of --config (text and JSON agree)', async () => {
      const { report } = await backtestJson(['-c', config, recording]);
      expect(report.whales.map((w) => w.eta)).toEqual(
        Array(3).fill({ blocks: 1, p10Minutes: 5, p50Minutes: 10, p90Minutes: 15 }),
      );
      // Waits of 10, 10 and 20 minutes against 5–15 (median 10): two within, errors 0, 0 and 10.
      expect(report.all.withinEtaRange).toEqual({ count: 2, of: 3, share: 0.6667 });
      expect(report.all.minutesError).toEqual({ sample: 3, median: 0, p90: 10 });
      const text = await run(['backtest', '-c', config, recording]);
      expect([text.code, text.stderr]).toEqual([0, '']);
      const lines = text.stdout.split('\n');
      const predicted = report.whales.map((w) => w.predictedBlocks!);
      const within = report.whales.filter((w) => Math.abs(w.blocksWaited! - w.predictedBlocks!) <= 1).length;
      const scores = report.whales.map((w) => w.score!);
      const mean = (scores.reduce((a, b) => a + b, 0) / 3).toFixed(3);
      expect(predicted.every((p) => Number.isInteger(p))).toBe(true);
      expect(lines).toEqual(
        expect.arrayContaining([
          'Whales: 3',
          '  confirmed 3, replaced 0, dropped 0, unknown 0, still pending at the end 0',
          'Predictions, over the 3 confirmed whale(s):',
          `  confirmed within ±1 block of the prediction  ${within} of 3 (${((within / 3) * 100).toFixed(1)}%)`,
          "  actual wait within the ETA's 10–90% range    2 of 3 (66.7%)",
          '  error in minutes, |actual − ETA median|      median 0 min, p90 10 min (3 whales)',
          `Mean accuracy score: ${mean} over 3 settled whale(s)`,
        ]),
      );
      expect(text.stdout).toMatch(
        /^By urgency +whales +confirmed +replaced +dropped +pending +±1 block +ETA 10–90% +score$/m,
      );
      expect(text.stdout).toMatch(/^ {2}<5 +2 +2 +0 +0 +0 +\d\/2 \(\d+\.\d%\) +1\/2 \(50\.0%\) +\d\.\d{3}$/m);
    });
  },
);
