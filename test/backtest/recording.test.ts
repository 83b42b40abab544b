import { mkdtemp, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { existingParts, parseSize, partPath } from '../../src/backtest/files.js';
import { RECORDED_TYPES, RECORDING_VERSION, type RecordedEvent } from '../../src/backtest/format.js';
import { openRecording, readEvents, RecordingError } from '../../src/backtest/reader.js';
import { createRecordingWriter } from '../../src/backtest/writer.js';

const header = (part: number) => ({
  spout: 'recording' as const,
  version: RECORDING_VERSION,
  spoutVersion: '0.0.0-test',
  startedAt: '2026-03-01T00:00:00.000Z',
  part,
  inputs: [{ instance: 'feed', plugin: 'replay' }],
});

/** A tx.seen whose txid (random-looking hex, as real ones) keeps gzip from shrinking it to nothing. */
function tx(i: number): RecordedEvent {
  const txid = Array.from({ length: 8 }, (_, k) =>
    ((i * 2654435761 + k * 40503) >>> 0).toString(16).padStart(8, '0'),
  ).join('');
  return {
    type: 'tx.seen',
    time: new Date(Date.UTC(2026, 2, 1) + i * 100).toISOString(),
    source: 'feed',
    data: {
      txid,
      valueSats: 1000 + i,
      feeSats: 500,
      vsize: 200,
      feeRate: 2.5,
      inputs: [],
      outputs: [{ address: `bc1q${txid.slice(0, 38)}`, valueSats: 1000 + i }],
      rbfSignaling: false,
      firstSeen: new Date(Date.UTC(2026, 2, 1) + i * 100).toISOString(),
    },
  };
}

async function write(dir: string, events: RecordedEvent[], maxBytes = 1 << 30) {
  const errors: Error[] = [];
  const out = join(dir, 'rec.ndjson.gz');
  const writer = createRecordingWriter({
    out,
    maxBytes,
    header,
    force: false,
    onError: (e) => errors.push(e),
  });
  for (const e of events) await writer.write(e);
  const summary = await writer.close();
  expect(errors).toEqual([]);
  return { out, summary };
}

async function readAll(path: string) {
  const file = await openRecording(path, path);
  if (!file) throw new Error('no header');
  const events: Array<[RecordedEvent, number]> = [];
  const summary = await readEvents(file, (e, ms) => void events.push([e, ms]));
  return { file, events, summary };
}

const tmp = () => mkdtemp(join(tmpdir(), 'spout-recording-'));

describe('recording files', () => {
  it('round-trips: header first, then one line per event with type, time, source and data', async () => {
    const dir = await tmp();
    const events = Array.from({ length: 500 }, (_, i) => tx(i));
    const { out, summary } = await write(dir, events);
    expect(summary).toMatchObject({ files: [out], events: 500 });
    const lines = gunzipSync(await readFile(out))
      .toString('utf8')
      .trimEnd()
      .split('\n');
    expect(JSON.parse(lines[0]!)).toEqual(header(0));
    expect(Object.keys(JSON.parse(lines[1]!))).toEqual(['type', 'time', 'source', 'data']);
    const read = await readAll(out);
    expect(read.summary).toEqual({ events: 500, truncated: false });
    expect(read.events.map(([e]) => e)).toEqual(events);
    expect(read.events[3]![1]).toBe(Date.parse(events[3]!.time));
  });

  it('rotates to numbered parts near the size limit, each a whole gzip file starting with its header', async () => {
    const dir = await tmp();
    const events = Array.from({ length: 6000 }, (_, i) => tx(i));
    const limit = 64 * 1024;
    const { out, summary } = await write(dir, events, limit);
    expect(summary.files.length).toBeGreaterThanOrEqual(3);
    expect(summary.files).toEqual(summary.files.map((_, n) => partPath(out, n)));
    expect(await existingParts(out)).toEqual(summary.files);
    const replayed: RecordedEvent[] = [];
    for (const [n, path] of summary.files.entries()) {
      const size = (await stat(path)).size;
      // Over the limit by at most one sync-flush interval (limit / 16) plus the gzip trailer.
      if (n < summary.files.length - 1) expect(size).toBeGreaterThanOrEqual(limit);
      expect(size).toBeLessThanOrEqual(limit + limit / 16 + 64);
      const read = await readAll(path);
      expect(read.file.header.part).toBe(n);
      replayed.push(...read.events.map(([e]) => e));
    }
    expect(replayed).toEqual(events);
  });

  it('a truncated file (recorder killed) gives back every event flushed before the cut', async () => {
    const dir = await tmp();
    const events = Array.from({ length: 3000 }, (_, i) => tx(i));
    const { out } = await write(dir, events);
    const size = (await stat(out)).size;
    await truncate(out, Math.floor(size * 0.6));
    const read = await readAll(out);
    expect(read.summary.truncated).toBe(true);
    expect(read.events.length).toBeGreaterThan(1000);
    expect(read.events.length).toBeLessThan(3000);
    expect(read.events.map(([e]) => e)).toEqual(events.slice(0, read.events.length));
  });

  it('a file cut inside its first line, or empty, has no header: null, not an error', async () => {
    const dir = await tmp();
    const { out } = await write(dir, [tx(1)]);
    await truncate(out, 12);
    expect(await openRecording(out, 'cut.gz')).toBeNull();
    await writeFile(out, '');
    expect(await openRecording(out, 'empty.gz')).toBeNull();
  });

  it('names what is wrong with a file that is no recording, with exit 2', async () => {
    const dir = await tmp();
    const reject = async (path: string, shownAs: string) => {
      const error = await openRecording(path, shownAs).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RecordingError);
      return error as RecordingError;
    };
    const missing = await reject(join(dir, 'nope.ndjson.gz'), 'nope.ndjson.gz');
    expect([missing.exit, missing.message]).toEqual([
      2,
      'nope.ndjson.gz: no such file; give the path of a recording written by spout record',
    ]);
    await writeFile(join(dir, 'plain.ndjson'), '{"spout":"recording","version":1}\n');
    expect((await reject(join(dir, 'plain.ndjson'), 'plain.ndjson')).message).toMatch(
      /plain\.ndjson is not a gzip file/,
    );
    await writeFile(join(dir, 'other.gz'), gzipSync('{"hello":1}\n'));
    const other = await reject(join(dir, 'other.gz'), 'other.gz');
    expect(other.message).toMatch(/other\.gz is not a Spout recording: its first line has type undefined/);
    await writeFile(
      join(dir, 'newer.gz'),
      gzipSync(JSON.stringify({ ...header(0), version: RECORDING_VERSION + 1 }) + '\n'),
    );
    expect((await reject(join(dir, 'newer.gz'), 'newer.gz')).message).toMatch(
      new RegExp(`format version ${RECORDING_VERSION + 1}.*upgrade Spout`),
    );
    expect((await reject(dir, 'recs')).message).toMatch(/recs is a folder/);
  });

  it('stops with exit 1 at a line that is not a recorded event, or at damaged gzip data', async () => {
    const dir = await tmp();
    const path = join(dir, 'edited.gz');
    const lines = [
      JSON.stringify(header(0)),
      JSON.stringify(tx(1)),
      '{"type":"whale.detected"}',
      JSON.stringify(tx(2)),
    ];
    await writeFile(path, gzipSync(lines.join('\n') + '\n'));
    const file = (await openRecording(path, 'edited.gz'))!;
    const seen: string[] = [];
    const edited = await readEvents(file, (e) => void seen.push(e.type)).catch((e: unknown) => e);
    expect(edited).toBeInstanceOf(RecordingError);
    expect((edited as RecordingError).exit).toBe(1);
    expect((edited as RecordingError).message).toMatch(
      /^edited\.gz line 3 has type "whale\.detected", not one of tx\.seen/,
    );
    expect(seen).toEqual(['tx.seen']);

    const { out } = await write(
      dir,
      Array.from({ length: 3000 }, (_, i) => tx(i)),
    );
    const bytes = await readFile(out);
    // The gzip trailer's CRC-32 (the last 8 bytes are CRC and length): every byte decodes, the check fails.
    bytes[bytes.length - 8] = bytes[bytes.length - 8]! ^ 0xff;
    await writeFile(out, bytes);
    const damaged = await readAll(out).catch((e: unknown) => e);
    expect(damaged).toBeInstanceOf(RecordingError);
    expect((damaged as RecordingError).exit).toBe(1);
    expect((damaged as RecordingError).message).toMatch(
      /rec\.ndjson\.gz is damaged after \d+ event\(s\) \(gzip: incorrect data check\); it cannot be replayed/,
    );
  });

  it('parses sizes in powers of 1024 and refuses nonsense and tiny parts', () => {
    expect(parseSize('100MB')).toBe(100 * 1024 ** 2);
    expect(parseSize('64KB')).toBe(64 * 1024);
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('70000')).toBe(70000);
    expect(parseSize('ten MB')).toMatch(/is not a size; write it as 100MB/);
    expect(parseSize('1KB')).toMatch(/under the smallest part size, 64KB/);
    expect(partPath('/r/rec.ndjson.gz', 2)).toBe('/r/rec.2.ndjson.gz');
    expect(partPath('/r/rec.gz', 1)).toBe('/r/rec.1.gz');
    expect(partPath('/r/rec', 3)).toBe('/r/rec.3');
    expect(RECORDED_TYPES).toEqual([
      'tx.seen',
      'tx.replaced',
      'tx.removed',
      'tx.position',
      'block.connected',
      'block.disconnected',
      'mempool.stats',
      'input.status',
    ]);
  });
});
