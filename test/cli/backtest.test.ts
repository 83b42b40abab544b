import { copyFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/backtest/format.js';
import { backtestCommand } from '../../src/cli/backtest.js';
import { captureCli } from '../helpers/cli.js';
import {
  backtestJson,
  readRecording,
  record,
  recordRotated,
  run,
  simulatorWorkspace,
  start,
} from '../backtest/helpers.js';

type Tx = { txid: string; valueSats: number; firstSeen: string };
type Block = { height: number; time: string; txids: string[] };

/**
 * What the correlation job must conclude from a recording, worked out from the events alone:
 * each whale (> 100 BTC) detected at max(its tx.seen's recorded time, its first-seen time), then
 * settled by the first later event about it (a block holding it, a replacement, a removal), with
 * blocks waited counted from the last block before it (or from the parent of the first block
 * after it) and minutes waited from its first-seen time to the block's time.
 */
function expectedOutcomes(events: RecordedEvent[]) {
  const whales = new Map<string, Record<string, unknown>>();
  let tip: number | null = null;
  const open = new Map<string, number | null>();
  for (const e of events) {
    if (e.type === 'tx.seen') {
      const tx = e.data as Tx;
      if (tx.valueSats <= 100e8 || whales.has(tx.txid)) continue;
      const detectedAt = new Date(Math.max(Date.parse(e.time), Date.parse(tx.firstSeen))).toISOString();
      whales.set(tx.txid, { txid: tx.txid, detectedAt, status: 'pending', firstSeen: tx.firstSeen });
      open.set(tx.txid, tip);
    } else if (e.type === 'block.connected') {
      const block = e.data as Block;
      const mined = new Set(block.txids);
      for (const [txid, at] of open) {
        if (at === null) open.set(txid, block.height - 1);
        if (!mined.has(txid)) continue;
        const w = whales.get(txid)!;
        Object.assign(w, {
          status: 'confirmed',
          height: block.height,
          blocksWaited: block.height - (open.get(txid) as number),
          minutesWaited: Math.round((Date.parse(block.time) - Date.parse(w.firstSeen as string)) / 60_000),
        });
        open.delete(txid);
      }
      tip = block.height;
    } else if (e.type === 'tx.replaced' || e.type === 'tx.removed') {
      const { txid } = e.data as { txid: string };
      if (!open.has(txid)) continue;
      whales.get(txid)!.status = e.type === 'tx.replaced' ? 'replaced' : 'dropped';
      open.delete(txid);
    }
  }
  return [...whales.values()];
}

describe('spout backtest of a simulator recording (built CLI)', () => {
  let dir: string;
  let config: string;
  let recording: string;
  let events: RecordedEvent[];
  beforeAll(async () => {
    ({ dir, config, out: recording } = await simulatorWorkspace('backtest-sim', 'sim.ndjson.gz'));
    await record(config, recording, 6);
    events = (await readRecording(recording)).events;
  });

  it('settles every whale on the recording’s own clock: detectedAt, outcome, blocks and minutes waited', async () => {
    const { report, stderr } = await backtestJson([recording]);
    expect(stderr).toBe('');
    const expected = expectedOutcomes(events);
    expect(expected.length).toBeGreaterThan(50);
    expect(expected.filter((w) => w.status === 'confirmed').length).toBeGreaterThan(30);
    expect(expected.some((w) => w.status === 'replaced')).toBe(true);
    const pick = (w: object) => {
      const r = w as Record<string, unknown>;
      return {
        txid: r.txid,
        detectedAt: r.detectedAt,
        status: r.status,
        height: r.height ?? null,
        blocksWaited: r.blocksWaited ?? null,
        minutesWaited: r.minutesWaited ?? null,
      };
    };
    expect(report.whales.map(pick)).toEqual(expected.map(pick));
    expect(report.events).toBe(events.length);
    expect([report.from, report.to]).toEqual([events[0]!.time, events.at(-1)!.time]);
    const count = (status: string) => expected.filter((w) => w.status === status).length;
    expect(report.all).toMatchObject({
      whales: expected.length,
      confirmed: count('confirmed'),
      replaced: count('replaced'),
      dropped: 0,
      pending: count('pending'),
    });
    expect(report.files).toEqual([
      expect.objectContaining({ path: recording, part: 0, events: events.length, truncated: false }),
    ]);
  });

  it('replays a truncated recording up to the cut, warns, and exits 0', async () => {
    const cut = join(dir, 'cut.ndjson.gz');
    await copyFile(recording, cut);
    await truncate(cut, Math.floor((await stat(cut)).size / 2));
    const { report, stderr } = await backtestJson([cut]);
    expect(stderr).toMatch(
      new RegExp(
        `^spout backtest: warning: ${cut.replace(/[.]/g, '\\.')} is truncated after (\\d+) event\\(s\\): its recorder was stopped without closing it`,
      ),
    );
    const replayed = Number(/truncated after (\d+) event/.exec(stderr)![1]);
    expect(replayed).toBeGreaterThan(events.length / 4);
    expect(replayed).toBeLessThan(events.length);
    expect(report.events).toBe(replayed);
    expect(report.files[0]).toMatchObject({ truncated: true, events: replayed });
    expect(report.warnings).toHaveLength(1);
  });

  it('replays what a recorder killed with SIGKILL had flushed, with a warning', async () => {
    const killed = join(dir, 'killed.ndjson.gz');
    const recorder = start(['record', '-c', config, '--out', killed]);
    try {
      await recorder.waitFor('block 870001 recorded');
    } finally {
      recorder.child.kill('SIGKILL');
    }
    expect((await recorder.exited).signal).toBe('SIGKILL');
    const { report, stderr } = await backtestJson([killed]);
    expect(stderr).toMatch(/warning: .*killed\.ndjson\.gz is truncated after \d+ event\(s\)/);
    expect(report.files[0]!.truncated).toBe(true);
    // The recorder flushes every 64 KiB of input: most of the two blocks recorded are readable.
    expect(report.events).toBeGreaterThan(200);
    expect(report.all.whales).toBeGreaterThan(0);
  });

  it('says what is wrong with files it cannot replay, and how to fix it', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [
        [join(dir, 'none.ndjson.gz')],
        2,
        /none\.ndjson\.gz: no such file; give the path of a recording written by spout record/,
      ],
      [[join(dir, 'sim.yaml')], 2, /is not a gzip file, so not a recording written by spout record/],
      [[], 2, /spout backtest: missing required argument "files" \(SPOUT_CLI_USAGE\)/],
    ];
    await writeFile(join(dir, 'sim.yaml'), 'not a recording\n');
    const damaged = join(dir, 'damaged.ndjson.gz');
    const bytes = await readFile(recording);
    bytes[bytes.length - 8] = bytes[bytes.length - 8]! ^ 0xff;
    await writeFile(damaged, bytes);
    cases.push([
      [damaged],
      1,
      /damaged\.ndjson\.gz is damaged after \d+ event\(s\) \(gzip: incorrect data check\); it cannot be replayed\. Replay a good copy/,
    ]);
    for (const [args, code, message] of cases) {
      const r = await run(['backtest', ...args]);
      expect([r.code, r.stderr]).toEqual([code, expect.stringMatching(message)]);
      expect(r.stdout).toBe('');
    }
  });

  it('shows a progress bar with events/s on a terminal (stderr), and nothing when it is not one', async () => {
    for (const isTTY of [true, false]) {
      const { cli, output } = captureCli(dir);
      expect(await backtestCommand([recording], {}, { ...cli, isTTY })).toBe(0);
      if (isTTY) expect(output()).toMatch(/replaying .* 100% \| [\d,]+ events \| [\d,]+ events\/s/);
      else expect(output()).not.toMatch(/replaying|events\/s \|/);
      expect(output()).toContain(`Backtest of ${events.length.toLocaleString('en-US')} events`);
    }
  });
});

describe('spout backtest of a rotated recording (built CLI)', () => {
  it('replays the parts in part order whatever the order given, and warns about a part left out', async () => {
    const { parts } = await recordRotated('backtest-parts');
    expect(parts.length).toBeGreaterThanOrEqual(3);
    let total = 0;
    for (const part of parts) total += (await readRecording(part)).events.length;

    const { report, stderr } = await backtestJson([...parts].reverse());
    expect(stderr).toBe('');
    expect(report.files.map((f) => f.part)).toEqual(parts.map((_, n) => n));
    expect(report.events).toBe(total);
    const inOrder = await backtestJson(parts);
    expect(report.whales).toEqual(inOrder.report.whales);

    const gap = await backtestJson([parts[0]!, ...parts.slice(2)]);
    expect(gap.stderr).toMatch(
      /^spout backtest: warning: part 1 of the recording started at \S+ was not given: whales may miss their outcome/,
    );
  });
});
