import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { constants, createGzip, type Gzip } from 'node:zlib';
import { eventLine, headerLine, type RecordedEvent, type RecordingHeader } from './format.js';
import { partPath } from './files.js';

export interface RecordingWriterOptions {
  /** The file of part 0 (`--out`); later parts are named by {@link partPath}. */
  out: string;
  /** Compressed bytes after which the next event starts a new part. */
  maxBytes: number;
  /** The header of part `n` (its first line). */
  header(part: number): RecordingHeader;
  /** Replace files that exist (else opening one that exists fails with EEXIST). */
  force: boolean;
  /** Called once when writing fails (disk full, folder removed): the recording cannot go on. */
  onError(error: Error): void;
  /** Longest time an event waits in the compressor before it is readable in the file. Default 1 s. */
  flushMs?: number;
}

/** What a closed recording holds. */
export interface RecordingSummary {
  /** Every file written, in part order. */
  files: string[];
  events: number;
  /** Compressed bytes of all parts. */
  bytes: number;
}

/** Writes a recording; see {@link createRecordingWriter}. */
export interface RecordingWriter {
  /**
   * Append one event. Returns a promise when the caller should wait before the next one (the
   * file is behind, or a part is being rotated), else undefined. Events are written in call order.
   */
  write(event: RecordedEvent): Promise<void> | undefined;
  /** Compressed bytes written so far, all parts. */
  bytes(): number;
  /** Events written so far. */
  events(): number;
  /** Finish the gzip stream of the current part and close it; resolves once it is on disk. */
  close(): Promise<RecordingSummary>;
}

const noop = (): void => {};

interface Part {
  gzip: Gzip;
  file: WriteStream;
  /** Compressed bytes of this part so far. */
  bytes: number;
  /** Uncompressed bytes since the last sync flush. */
  pending: number;
  closed: Promise<void>;
}

/**
 * A gzip NDJSON recording, streamed through node:zlib. Each part starts with its header line and
 * is a complete gzip file once closed. A part is rotated before the first event written after its
 * compressed size reached `maxBytes`; the compressor is sync-flushed every `maxBytes / 16` (at most
 * 64 KiB, at least 4 KiB) of input — the write that triggers it waits for it — and at least every
 * `flushMs`, so a part ends at most about one flush interval's output over the limit (plus the
 * last event when it alone is bigger: an event is never split across parts), and a recorder killed without warning leaves a truncated file whose flushed events are all
 * readable (zlib reports the missing end; `spout backtest` replays up to it and warns).
 */
export function createRecordingWriter(options: RecordingWriterOptions): RecordingWriter {
  const flushBytes = Math.min(64 * 1024, Math.max(4096, Math.floor(options.maxBytes / 16)));
  const files: string[] = [];
  let total = 0;
  let events = 0;
  let failed = false;
  let failure: () => void = () => {};
  // Resolves when writing failed: nothing waits for a drain that will not come.
  const failedAt = new Promise<void>((resolve) => (failure = resolve));
  let part = open(0);
  let rotating: Promise<void> | null = null;
  const timer = setInterval(() => void flush(part), options.flushMs ?? 1000);
  timer.unref();

  function fail(error: Error): void {
    if (failed) return;
    failed = true;
    failure();
    options.onError(error);
  }

  function open(n: number): Part {
    const path = partPath(options.out, n);
    files.push(path);
    const gzip = createGzip();
    const file = createWriteStream(path, { flags: options.force ? 'w' : 'wx', mode: 0o644 });
    const current: Part = {
      gzip,
      file,
      bytes: 0,
      pending: 0,
      closed: new Promise<void>((resolve) => file.once('close', () => resolve())),
    };
    gzip.on('data', (chunk: Buffer) => {
      current.bytes += chunk.length;
      total += chunk.length;
    });
    gzip.on('error', fail);
    file.on('error', fail);
    gzip.pipe(file);
    gzip.write(headerLine(options.header(n)));
    return current;
  }

  /** Resolves once the flushed bytes are counted in `p.bytes` (at once when there is nothing to flush). */
  function flush(p: Part): Promise<void> {
    if (p.pending === 0 || p.gzip.writableEnded) return Promise.resolve();
    p.pending = 0;
    return new Promise((resolve) => p.gzip.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  }

  async function finish(p: Part): Promise<void> {
    void flush(p);
    p.gzip.end();
    await p.closed;
  }

  async function rotate(): Promise<void> {
    const previous = part;
    await finish(previous);
    part = open(files.length);
  }

  function append(event: RecordedEvent): Promise<void> | undefined {
    const line = eventLine(event);
    events++;
    part.pending += line.length;
    const ok = part.gzip.write(line);
    // Waiting for the flush keeps the size the next write is checked against exact: zlib
    // compresses off the main thread, so its output is counted later than the input is written.
    const flushed = part.pending >= flushBytes ? flush(part) : null;
    if (ok && !flushed) return undefined;
    const drained = ok ? Promise.resolve() : once(part.gzip, 'drain').then(noop, noop);
    return Promise.race([Promise.all([drained, flushed]).then(noop), failedAt]);
  }

  return {
    write(event) {
      if (failed) return undefined;
      if (rotating) return rotating.then(() => append(event));
      if (part.bytes < options.maxBytes) return append(event);
      rotating = rotate().finally(() => (rotating = null));
      return rotating.then(() => append(event));
    },
    bytes: () => total,
    events: () => events,
    async close() {
      clearInterval(timer);
      await rotating;
      await finish(part);
      return { files: [...files], events, bytes: total };
    },
  };
}
