import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Stats } from '../../src/stats/aggregate.js';
import type { OutcomeRecord } from '../../src/store/records.js';
import { run } from '../helpers/cli.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function outcome(
  txid: string,
  detectedAt: string,
  status: OutcomeRecord['status'],
  btc: number,
  score: number | null,
  extra: Partial<OutcomeRecord> = {},
): OutcomeRecord {
  return {
    txid,
    detectedAt,
    settledAt: detectedAt,
    status,
    valueSats: Math.round(btc * 1e8),
    predictedBlocks: 2,
    urgencyLevel: 'medium',
    score,
    ...extra,
  };
}

// Sun 30 Mar 2025 is in ISO week 13; Mon 31 Mar starts week 14 (checked with `date +%G-W%V`).
const OUTCOMES = [
  outcome('a', '2025-03-30T22:00:00.000Z', 'confirmed', 250, 0.92, { height: 890_000, minutesWaited: 12 }),
  outcome('b', '2025-03-31T01:00:00.000Z', 'confirmed', 1200.5, 0.8, { height: 890_010, minutesWaited: 30 }),
  outcome('c', '2025-03-31T02:00:00.000Z', 'replaced', 180, 0.1, { byTxid: 'c2' }),
  outcome('d', '2025-04-01T09:00:00.000Z', 'dropped', 400, 0.3, { reason: 'evicted' }),
  outcome('e', '2025-04-01T10:00:00.000Z', 'unknown', 101, null, { reason: 'missed blocks' }),
];

/** A config whose store path is relative to its own folder, and that folder. */
async function setup(store?: string): Promise<{ dir: string; file: string; storeFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'spout-stats-e2e-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.yaml');
  await writeFile(
    file,
    [
      'storage: { path: ./data/spout.json }',
      'http: { enabled: false }',
      'outputs:',
      '  console: { use: console }',
    ].join('\n'),
  );
  const storeFile = join(dir, 'data', 'spout.json');
  if (store !== undefined) {
    await mkdir(join(dir, 'data'));
    await writeFile(storeFile, store);
  }
  return { dir, file, storeFile };
}

const storeText = JSON.stringify({
  spout: 1,
  collections: {
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o.txid, o])),
    predictions: { p: { txid: 'p', detectedAt: '2025-04-01T11:00:00.000Z', valueSats: 9e10 } },
    'job-state': { correlation: { height: 890_100 } },
  },
});

const figures = (b: Stats['total']) => [
  b.period,
  b.whales,
  b.btcMoved,
  b.confirmed,
  b.replaced,
  b.dropped,
  b.unknown,
  b.meanMinutesToConfirm,
  b.accuracy,
];

describe('spout stats (built CLI)', () => {
  it('--json prints the daily, weekly and monthly figures of the stored outcomes, and writes nothing', async () => {
    const { file, storeFile } = await setup(storeText);
    const before = await stat(storeFile);
    const elsewhere = await mkdtemp(join(tmpdir(), 'spout-stats-cwd-'));
    cleanups.push(() => rm(elsewhere, { recursive: true, force: true }));

    const { code, stdout, stderr } = await run(['stats', '--json', '-c', file], { cwd: elsewhere });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const stats = JSON.parse(stdout) as Stats;
    expect(stats.since).toBeNull();
    expect(Date.parse(stats.now)).toBeGreaterThan(Date.parse('2026-01-01'));
    expect(figures(stats.total)).toEqual(['total', 5, 2131.5, 2, 1, 1, 1, 21, 0.53]);
    expect(stats.total.from).toBe('2025-03-30T22:00:00.000Z');
    expect(stats.daily.map(figures)).toEqual([
      ['2025-03-30', 1, 250, 1, 0, 0, 0, 12, 0.92],
      ['2025-03-31', 2, 1380.5, 1, 1, 0, 0, 30, 0.45],
      ['2025-04-01', 2, 501, 0, 0, 1, 1, null, 0.3],
    ]);
    expect(stats.weekly.map(figures)).toEqual([
      ['2025-W13', 1, 250, 1, 0, 0, 0, 12, 0.92],
      ['2025-W14', 4, 1881.5, 1, 1, 1, 1, 30, 0.4],
    ]);
    expect(stats.weekly.map((b) => [b.from, b.to])).toEqual([
      ['2025-03-24T00:00:00.000Z', '2025-03-31T00:00:00.000Z'],
      ['2025-03-31T00:00:00.000Z', '2025-04-07T00:00:00.000Z'],
    ]);
    expect(stats.monthly.map(figures)).toEqual([
      ['2025-03', 3, 1630.5, 2, 1, 0, 0, 21, 0.6067],
      ['2025-04', 2, 501, 0, 0, 1, 1, null, 0.3],
    ]);

    const after = await stat(storeFile);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await readFile(storeFile, 'utf8')).toBe(storeText);
  });

  it('--since takes an ISO date or a duration; a bad one is a usage error', async () => {
    const { file } = await setup(storeText);
    const fromDate = await run(['stats', '--json', '--since', '2025-03-31', '-c', file]);
    expect(fromDate.code).toBe(0);
    const stats = JSON.parse(fromDate.stdout) as Stats;
    expect(stats.since).toBe('2025-03-31T00:00:00.000Z');
    expect(figures(stats.total)).toEqual(['total', 4, 1881.5, 1, 1, 1, 1, 30, 0.4]);

    const recent = await run(['stats', '--json', '--since', '30d', '-c', file]);
    expect(recent.code).toBe(0);
    expect((JSON.parse(recent.stdout) as Stats).total.whales).toBe(0);
    const decade = await run(['stats', '--json', '--since', '3650d', '-c', file]);
    expect((JSON.parse(decade.stdout) as Stats).total.whales).toBe(5);

    const bad = await run(['stats', '--since', 'last week', '-c', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since "last week" is neither an ISO date nor a duration/);
  });

  it('prints tables as text; no store file yet is no data (and no file is created); a foreign file fails', async () => {
    const withData = await setup(storeText);
    const text = await run(['stats', '-c', withData.file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^2025-W14\s+4\s+1,881\.50\s+1\s+1\s+1\s+1\s+30\.0\s+40\.0%$/m);

    const fresh = await setup();
    const empty = await run(['stats', '--json', '-c', fresh.file]);
    expect(empty.code).toBe(0);
    expect((JSON.parse(empty.stdout) as Stats).total.whales).toBe(0);
    await expect(stat(join(fresh.dir, 'data'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await run(['stats', '-c', fresh.file])).stdout).toContain('No settled whales in this range yet.');

    const foreign = await setup('{"users": []}');
    const failed = await run(['stats', '-c', foreign.file]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/cannot be used: it is JSON but not a Spout store/);
  });
});
