import { gzipSync } from 'node:zlib';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RECORDED_TYPES, RECORDING_VERSION } from '../../src/backtest/format.js';
import {
  readRecording,
  record,
  recordRotated,
  run,
  simulatorWorkspace,
  simulatorYaml,
  start,
  tempDir,
  writeConfig,
} from '../backtest/helpers.js';
import type { Running } from '../helpers/cli.js';

const children: Running[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.child.kill('SIGKILL');
});

describe('spout record (built CLI)', () => {
  it('records the inputs until SIGINT and leaves a complete gzip file: the header, then every event', async () => {
    const dir = await tempDir('record-sigint');
    // Outputs, detectors and jobs in the file are not run: nothing is printed, nothing settles.
    const config = await writeConfig(
      dir,
      simulatorYaml([
        'detectors:',
        '  whales: { use: whale }',
        'jobs:',
        '  correlation: { use: correlation }',
        'outputs:',
        '  out: { use: console, format: json, events: ["*"] }',
      ]),
    );
    const out = join(dir, 'rec.ndjson.gz');
    const p = start(['record', '-c', config, '--out', out]);
    children.push(p);
    await p.waitFor('block 870001 recorded');
    p.child.kill('SIGINT');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.stdout()).toBe('');
    const { header, events } = await readRecording(out);
    expect(header).toMatchObject({
      spout: 'recording',
      version: RECORDING_VERSION,
      part: 0,
      inputs: [{ instance: 'sim', plugin: 'simulator' }],
    });
    expect(Number.isFinite(Date.parse(header.startedAt))).toBe(true);
    const said = /recorded (\d+) events in 1 file\(s\)/.exec(p.stderr());
    expect(Number(said?.[1])).toBe(events.length);
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set(['input.status', 'mempool.stats', 'tx.seen', 'tx.replaced', 'block.connected']),
    );
    for (const e of events) {
      expect(RECORDED_TYPES).toContain(e.type);
      expect(Object.keys(e)).toEqual(['type', 'time', 'source', 'data']);
      expect(e.source).toBe('sim');
    }
    expect(events.filter((e) => e.type === 'block.connected').length).toBeGreaterThanOrEqual(2);
    expect(p.stderr()).not.toMatch(/"type":"whale\./);
  });

  it('--blocks N stops by itself after the Nth block, which is the last event recorded', async () => {
    const { config, out } = await simulatorWorkspace('record-blocks');
    const { stderr } = await record(config, out, 3);
    expect(stderr).toMatch(/3 block\(s\) recorded: stopping/);
    const { events } = await readRecording(out);
    const blocks = events.filter((e) => e.type === 'block.connected');
    expect(blocks.map((b) => (b.data as { height: number }).height)).toEqual([870_000, 870_001, 870_002]);
    expect(events.at(-1)).toEqual(blocks.at(-1));
  });

  it('rotates at --max-size into FILE.1.ndjson.gz, FILE.2…: whole gzip files, every event once, in order', async () => {
    const { dir, parts, stderr } = await recordRotated('record-rotate');
    const names = (await readdir(dir)).filter((n) => n.startsWith('rec.')).sort();
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(names).toEqual(parts.map((p) => p.slice(dir.length + 1)).sort());
    const all = [];
    for (const [n, path] of parts.entries()) {
      const size = (await stat(path)).size;
      const { header, events } = await readRecording(path);
      // The limit, plus at most one sync-flush interval (limit / 16), the last event when it alone
      // is bigger (a block's txid list) and the gzip trailer.
      const largest = Math.max(...events.map((e) => gzipSync(JSON.stringify(e)).length));
      expect(size).toBeLessThanOrEqual(64 * 1024 + 4096 + largest + 64);
      if (n < parts.length - 1) expect(size).toBeGreaterThanOrEqual(64 * 1024);
      expect(header.part).toBe(n);
      all.push(...events);
    }
    expect(stderr).toContain(`recorded ${all.length} events in ${parts.length} file(s)`);
    const times = all.map((e) => Date.parse(e.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const txids = all.filter((e) => e.type === 'tx.seen').map((e) => (e.data as { txid: string }).txid);
    expect(new Set(txids).size).toBe(txids.length);
    expect(all.filter((e) => e.type === 'block.connected')).toHaveLength(2);
  });

  it('refuses to replace a recording or its parts without --force; --force replaces them', async () => {
    const { dir, config, out } = await simulatorWorkspace('record-force');
    await writeFile(out, 'keep me');
    await writeFile(join(dir, 'rec.1.ndjson.gz'), 'old part');
    const refused = await run(['record', '-c', config, '--out', out, '--blocks', '1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `spout record: a recording exists (${out}, ${join(dir, 'rec.1.ndjson.gz')}); pass --force to replace it, or choose another --out`,
    );
    expect((await stat(out)).size).toBe('keep me'.length);

    await record(config, out, 1, ['--force']);
    expect((await readRecording(out)).header.spout).toBe('recording');
    expect((await readdir(dir)).filter((n) => n.startsWith('rec.'))).toEqual(['rec.ndjson.gz']);
  });

  it('says what is wrong with the command line, exit 2, and writes nothing', async () => {
    const { dir, config, out } = await simulatorWorkspace('record-usage');
    const cases: Array<[string[], string]> = [
      [
        ['--max-size', 'huge'],
        'spout record: --max-size "huge" is not a size; write it as 100MB, 512KB or 2GB',
      ],
      [['--max-size', '1KB'], 'spout record: --max-size "1KB" is under the smallest part size, 64KB'],
      [['--blocks', '0'], 'spout record: --blocks "0" is not a whole number of blocks above 0'],
    ];
    for (const [args, message] of cases) {
      const r = await run(['record', '-c', config, '--out', out, ...args]);
      expect([r.code, r.stderr.trim()]).toEqual([2, message]);
    }
    const noInput = await writeConfig(dir, 'detectors:\n  whales: { use: whale }', 'no-input.yaml');
    const r = await run(['record', '-c', noInput, '--out', out]);
    expect([r.code, r.stderr.trim()]).toEqual([
      2,
      `spout record: ${noInput} has no enabled input: there is nothing to record`,
    ]);
    const missing = await run(['record', '-c', config, '--out', join(dir, 'nope', 'rec.ndjson.gz')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist; create it first');
    expect(await readdir(dir)).not.toContain('rec.ndjson.gz');
  });

  it('exits 1 when an input cannot start, leaving no file behind', async () => {
    const dir = await tempDir('record-boot');
    const config = await writeConfig(
      dir,
      'log: { level: info, format: json }\ninputs:\n  feed: { use: replay, file: ./missing.jsonl }',
    );
    const r = await run(['record', '-c', config, '--out', join(dir, 'rec.ndjson.gz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/boot failed: .*feed.*missing\.jsonl/);
    expect(await readdir(dir)).toEqual(['config.yaml']);
  });
});
