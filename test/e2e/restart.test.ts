import { writeFile, mkdtemp } from 'node:fs/promises';
import { readStoreFiles } from '../../src/store/file-format.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeMempool, waitFor, type FakeMempool, isTrackMempool } from '../helpers/fake-mempool.js';
import { hasFixtures, loadBlock277647 } from '../helpers/fixtures.js';
import { start, type Running } from '../helpers/cli.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface StoreFile {
  collections: {
    predictions?: Record<string, unknown>;
    outcomes?: Record<string, { status: string; height: number }>;
  };
}
// The store as on disk: snapshot plus journal (src/store/file-format.ts).
const readStore = async (path: string): Promise<StoreFile> =>
  (await readStoreFiles(path)).data as unknown as StoreFile;
const envelopes = (p: Running, type: string) =>
  p
    .stdout()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; data: { txid: string } })
    .filter((e) => e.type === type);

describe.skipIf(!hasFixtures)('SIGKILL with predictions pending (built CLI)', () => {
  it('restarts and settles them from the next blocks; nothing is lost or settled twice', async () => {
    const fake: FakeMempool = await startFakeMempool();
    cleanups.push(() => fake.close());
    const dir = await mkdtemp(join(tmpdir(), 'spout-kill-'));
    const storePath = join(dir, 'spout.json');
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'log: { level: info, format: json }',
        'http: { enabled: false }',
        `storage: { path: ${storePath} }`,
        'inputs:',
        `  feed: { use: mempool, url: "${fake.url}" }`,
        'detectors:',
        '  whales: { use: whale }',
        'jobs:',
        '  correlation: { use: correlation }',
        'outputs:',
        '  out: { use: console, format: json, events: [whale.detected, whale.confirmed] }',
      ].join('\n'),
    );
    const isTrack = isTrackMempool;
    const whales = loadBlock277647().filter((t) => t.vout.reduce((s, o) => s + o.value, 0) > 100e8);
    expect(whales).toHaveLength(3);

    const first = start(['run'], { cwd: dir });
    cleanups.push(() => first.child.kill('SIGKILL'));
    await fake.waitForMessage(isTrack(1));
    fake.pushBlock({ id: 'a'.repeat(64), height: 900_000, timestamp: Math.floor(Date.now() / 1000) }, []);
    fake.pushMempool({ added: whales });
    await first.waitFor(
      /"type":"whale\.detected".*\n.*"type":"whale\.detected".*\n.*"type":"whale\.detected"/,
    );
    // The store file is written atomically; poll it until the three predictions are on disk.
    for (let i = 0; Object.keys((await readStore(storePath)).collections.predictions ?? {}).length < 3; i++) {
      if (i > 500) throw new Error('predictions never reached the disk');
      await new Promise((r) => setTimeout(r, 10));
    }
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = start(['run'], { cwd: dir });
    cleanups.push(() => second.child.kill('SIGKILL'));
    await fake.waitForMessage(isTrack(2));
    const now = Math.floor(Date.now() / 1000);
    fake.pushBlock({ id: 'b'.repeat(64), height: 900_001, timestamp: now }, [
      whales[0]!.txid,
      whales[1]!.txid,
    ]);
    fake.pushBlock({ id: 'c'.repeat(64), height: 900_002, timestamp: now }, [whales[2]!.txid]);
    fake.pushBlock({ id: 'd'.repeat(64), height: 900_003, timestamp: now }, [whales[0]!.txid]); // a txid seen again: no second outcome
    await waitFor(() => envelopes(second, 'whale.confirmed').length === 3, 5000, 'three confirmations');
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    expect(envelopes(first, 'whale.confirmed')).toEqual([]);
    expect(envelopes(second, 'whale.confirmed').map((e) => e.data.txid)).toEqual(whales.map((w) => w.txid));
    const store = await readStore(storePath);
    expect(store.collections.predictions ?? {}).toEqual({});
    expect(
      Object.fromEntries(
        Object.entries(store.collections.outcomes ?? {}).map(([k, v]) => [k, [v.status, v.height]]),
      ),
    ).toEqual({
      [whales[0]!.txid]: ['confirmed', 900_001],
      [whales[1]!.txid]: ['confirmed', 900_001],
      [whales[2]!.txid]: ['confirmed', 900_002],
    });
  });
});
