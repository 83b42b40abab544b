import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE } from '../../src/backtest/config.js';
import {
  backtestJson,
  readRecording,
  record,
  simulatorYaml,
  start,
  tempDir,
  writeConfig,
} from './helpers.js';

type Envelope = { type: string; data: Record<string, unknown> & { txid: string } };

describe('record, then backtest: the same outcomes as the live pipeline on the same data (built CLI)', () => {
  it(
    'detects the same whales and settles each the same way, with the same blocks and minutes waited',
    { timeout: 60_000 },
    async () => {
      const dir = await tempDir('backtest-live');
      const recording = join(dir, 'sim.ndjson.gz');
      await record(await writeConfig(dir, simulatorYaml(), 'sim.yaml'), recording, 5);
      const { events } = await readRecording(recording);

      // The live run: the recorded events through `spout run` (replay input, one event per timer
      // turn, as they come live), the detectors, correlation and a console sink printing outcomes.
      await writeFile(
        join(dir, 'feed.jsonl'),
        events.map((e) => JSON.stringify({ type: e.type, data: e.data })).join('\n') + '\n',
      );
      const live = await writeConfig(
        dir,
        [
          'log: { level: info, format: json }',
          'http: { enabled: false }',
          `storage: { path: ${join(dir, 'spout.json')} }`,
          'inputs:',
          '  feed: { use: replay, file: ./feed.jsonl, intervalMs: 1 }',
          // The detectors and correlation job a backtest runs by default.
          DEFAULT_PIPELINE,
          'outputs:',
          '  sink: { use: console, format: json, events: [whale.detected, whale.confirmed, whale.replaced, whale.dropped] }',
        ].join('\n'),
      );
      const p = start(['run', '-c', live]);
      try {
        await p.waitFor('replay finished', 60_000);
      } finally {
        p.child.kill('SIGTERM');
      }
      expect((await p.exited).code).toBe(0);
      const out = p
        .stdout()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Envelope);
      const settled = new Map(out.filter((e) => e.type !== 'whale.detected').map((e) => [e.data.txid, e]));
      const liveWhales = out
        .filter((e) => e.type === 'whale.detected')
        .map(({ data: { txid } }) => {
          const end = settled.get(txid);
          return {
            txid,
            status: end ? end.type.slice('whale.'.length) : 'pending',
            height: end?.data.height ?? null,
            blocksWaited: end?.data.blocksWaited ?? null,
            minutesWaited: end?.data.minutesWaited ?? null,
          };
        });
      expect(liveWhales.length).toBeGreaterThan(40);
      expect(liveWhales.map((w) => w.status)).toEqual(expect.arrayContaining(['confirmed', 'replaced']));

      // The same recording, backtested with the same configuration (its input and output unused).
      const { report } = await backtestJson(['-c', live, recording]);
      const backtested = report.whales.map(({ txid, status, height, blocksWaited, minutesWaited }) => ({
        txid,
        status,
        height,
        blocksWaited,
        minutesWaited,
      }));
      const byTxid = <T extends { txid: string }>(rows: T[]) =>
        [...rows].sort((a, b) => a.txid.localeCompare(b.txid));
      expect(byTxid(backtested)).toEqual(byTxid(liveWhales));
    },
  );
});
