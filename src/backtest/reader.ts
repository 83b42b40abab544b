import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type Gunzip } from 'node:zlib';
import { parseLine, type RecordedEvent, type RecordingHeader } from './format.js';

/**
 * A recording that cannot be replayed, with the exit status it leads to: 2 when the file given is
 * not a recording this Spout can use (missing, a folder, not gzip, not a Spout recording, a newer
 * format), 1 when it is one but damaged (a gzip error other than a missing end, a line that is not
 * a recorded event) or unreadable. The message names the file, says what is wrong and how to fix it.
 */
export class RecordingError extends Error {
  constructor(
    message: string,
    readonly exit: 1 | 2,
  ) {
    super(message);
    this.name = 'RecordingError';
  }
}

/** A recording file ready to replay: its header and compressed size. */
export interface RecordingFile {
  path: string;
  /** The path as given on the command line (for messages). */
  shownAs: string;
  header: RecordingHeader;
  bytes: number;
}

/** How reading a file ended. */
export interface ReadSummary {
  events: number;
  /**
   * Set when the gzip stream stopped before its end (a recorder killed or a copy cut short): the
   * events before the cut were read, a partial last line was dropped.
   */
  truncated: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const isTruncation = (error: unknown) => (error as { code?: string }).code === 'Z_BUF_ERROR';

/**
 * Stream the lines of a gzip file to `onLine` (1-based line numbers; a promise it returns is
 * waited for). Resolves `true` when the stream ended cleanly, `false` when it was truncated (a
 * last line without its newline is then not handed over); rejects with zlib's error otherwise.
 */
async function lines(
  path: string,
  onLine: (line: string, n: number) => void | Promise<void> | false,
  onBytes: (n: number) => void = () => {},
): Promise<boolean> {
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  file.on('data', (chunk) => onBytes(chunk.length));
  const gunzip: Gunzip = createGunzip();
  const decoder = new StringDecoder('utf8');
  let n = 0;
  let rest = '';
  let stopped = false;
  // What onLine threw: pipeline would report it as the abort of the streams still reading.
  let thrown: { error: unknown } | null = null;
  const call = (line: string): void | Promise<void> | false => {
    try {
      return onLine(line, ++n);
    } catch (error) {
      thrown = { error };
      return false;
    }
  };
  const consume = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      const text = rest + decoder.write(chunk);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        let result = call(text.slice(start, nl));
        start = nl + 1;
        if (result) result = await result.then(undefined, (error: unknown) => ((thrown = { error }), false));
        if (result === false) return void (stopped = true);
      }
      rest = text.slice(start);
    }
    if (rest !== '' && call(rest) === false) stopped = true;
  };
  try {
    await pipeline(file, gunzip, consume);
  } catch (error) {
    // Stopping early ends the pipeline by aborting the streams still reading.
    if (!stopped) {
      if (isTruncation(error)) return false;
      throw error;
    }
  }
  if (thrown) throw (thrown as { error: unknown }).error;
  return true;
}

/**
 * Check that `path` is a Spout recording and read its header. Returns null for a file truncated
 * before its header was written (empty, or cut within the first line): a recorder killed at once.
 * Throws a {@link RecordingError} for anything that is not a readable recording.
 */
export async function openRecording(path: string, shownAs: string): Promise<RecordingFile | null> {
  let bytes: number;
  const magic = Buffer.alloc(2);
  try {
    const handle = await open(path, 'r');
    try {
      const info = await handle.stat();
      if (info.isDirectory())
        throw new RecordingError(
          `${shownAs} is a folder; give the recording files in it (spout backtest ${shownAs}/*.ndjson.gz)`,
          2,
        );
      bytes = info.size;
      await handle.read(magic, 0, 2, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof RecordingError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new RecordingError(
        `${shownAs}: no such file; give the path of a recording written by spout record`,
        2,
      );
    throw new RecordingError(`cannot read ${shownAs} (${code ?? String(error)})`, 1);
  }
  if (bytes === 0) return null;
  if (bytes >= 2 && (magic[0] !== GZIP_MAGIC[0] || magic[1] !== GZIP_MAGIC[1]))
    throw new RecordingError(
      `${shownAs} is not a gzip file, so not a recording written by spout record (those are .ndjson.gz)`,
      2,
    );
  let header: RecordingHeader | null = null;
  let problem: string | null = null;
  try {
    await lines(path, (line) => {
      const parsed = parseLine(line);
      if (parsed.kind === 'header') header = parsed.header;
      else problem = parsed.kind === 'invalid' ? parsed.reason : 'is an event, not a recording header';
      return false;
    });
  } catch (error) {
    throw damaged(shownAs, 0, error);
  }
  if (problem !== null)
    throw new RecordingError(`${shownAs} is not a Spout recording: its first line ${problem}`, 2);
  return header === null ? null : { path, shownAs, header, bytes };
}

/**
 * Hand every event of `file` to `onEvent`, in file order, with its time in epoch ms (a promise it
 * returns is waited for before the next line is read). A header met after the first line (parts
 * joined with `cat`) is skipped. Throws a {@link RecordingError} (exit 1) at the first line that
 * is not a recorded event or at damaged gzip data; a truncated file ends the reading cleanly,
 * with `truncated` set.
 */
export async function readEvents(
  file: RecordingFile,
  onEvent: (event: RecordedEvent, ms: number) => void | Promise<void>,
  onBytes?: (n: number) => void,
): Promise<ReadSummary> {
  let events = 0;
  let ended: boolean;
  try {
    ended = await lines(
      file.path,
      (line, n) => {
        if (n === 1 || line === '') return;
        const parsed = parseLine(line);
        if (parsed.kind === 'event') {
          events++;
          return onEvent(parsed.event, parsed.ms);
        }
        if (parsed.kind === 'invalid')
          throw new RecordingError(
            `${file.shownAs} line ${n} ${parsed.reason}: the file was changed or damaged after it was recorded. ` +
              `Replay a good copy, or cut the file before that line (gzip -dc | head -n ${n - 1} | gzip)`,
            1,
          );
      },
      onBytes,
    );
  } catch (error) {
    if (error instanceof RecordingError) throw error;
    throw damaged(file.shownAs, events, error);
  }
  return { events, truncated: !ended };
}

function damaged(shownAs: string, events: number, error: unknown): RecordingError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && !code.startsWith('Z_'))
    return new RecordingError(`cannot read ${shownAs} (${code}: ${(error as Error).message})`, 1);
  return new RecordingError(
    `${shownAs} is damaged after ${events} event(s) (gzip: ${(error as Error).message}); it cannot be ` +
      `replayed. Replay a good copy, or keep what gzip can read (gzip -dc ${shownAs} > part.ndjson; gzip part.ndjson)`,
    1,
  );
}
