import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  answerFile,
  isLeftover,
  parseJsonObject,
  REQUEST_GRACE_MS,
  REQUEST_STALE_MS,
  requestNames,
  type JsonObject,
} from './channel.js';
import { createFileAges } from './file-ages.js';
import { removePidFile, writePidFile } from './pid.js';

/*
 * The running process's side of the channel (see channel.ts): take the requests, apply them,
 * answer, sweep what no command came back for.
 */

/** One kind of request, chosen by its `type`. */
export interface RequestHandler<R> {
  /**
   * The request from its file's object (whose `type` chose this handler), or null when its
   * fields are wrong: the file is then no valid request.
   */
  parse(value: JsonObject): R | null;
  /**
   * Apply it; what it returns (or resolves to) is the answer the command reads. A throw is
   * logged and answered `{ error: message }`.
   */
  apply(request: R, name: string): unknown;
}

/**
 * A {@link RequestHandler}, typed on its own request, as one of {@link RequestReaderOptions.handlers}
 * (which hold handlers of different requests).
 */
export const defineRequestHandler = <R>(handler: RequestHandler<R>): RequestHandler<unknown> =>
  handler as RequestHandler<unknown>;

export interface RequestReaderOptions {
  /** The request folder (created at start). */
  dir: string;
  /** What to do with each request `type`; a request of any other type is no valid request. */
  handlers: Readonly<Record<string, RequestHandler<unknown>>>;
  log: Logger;
  /**
   * Written with this process's pid at start (before any request is read), so commands know a
   * reader is there; removed at stop if it still names this process.
   */
  pidFile?: string;
  /** The error a file that is no valid request is answered with. */
  invalid?: string;
  /** How often the folder is read (ms). */
  intervalMs?: number;
  /**
   * Also read the folder as soon as it is seen to change (a change notification can be missed:
   * the polling goes on). For requests that must take effect well within a poll.
   */
  watch?: boolean;
  /** How long a file that is not a valid request may still be being written (ms). */
  graceMs?: number;
  /** How long answers and temporary files no command came for are kept unchanged (ms). */
  staleMs?: number;
  /** The monotonic clock files are aged on (ms; default `performance.now`). */
  now?: () => number;
}

export interface RequestReader {
  /**
   * Create the folder, write the pid file, start polling (and watching) the folder and read it
   * once: requests left while no process was reading are applied before this resolves. Call once.
   */
  start(): Promise<void>;
  /**
   * Read the folder now. Requests are applied one at a time, in name order (the order they were
   * written); each is answered and removed once applied, so it is applied once. Passes never
   * overlap: a call while one runs queues one more (calls meanwhile share it). Resolves when a
   * pass begun after the call has finished (at once after stop). Never rejects: a folder that
   * cannot be read is logged.
   */
  drain(): Promise<void>;
  /**
   * Stop polling and watching, wait for the pass under way (which takes no further request),
   * then remove the pid file.
   */
  stop(): Promise<void>;
}

const INVALID = 'not a valid request (unreadable JSON or wrong fields)';

/** A reader of the request folder `options.dir`, applying requests with `options.handlers`. */
export function createRequestReader(options: RequestReaderOptions): RequestReader {
  const { dir, handlers, log, invalid = INVALID, intervalMs = 300 } = options;
  const { graceMs = REQUEST_GRACE_MS, staleMs = REQUEST_STALE_MS } = options;
  const ages = createFileAges(options.now);
  let stopped = false;
  let current: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | undefined;

  type Read = { handler: RequestHandler<unknown>; request: unknown } | 'invalid' | 'later' | 'gone';
  /** `later` while a file that is no request may still be being written; `gone` when another reader took it. */
  const readRequest = async (file: string): Promise<Read> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      throw error;
    }
    const value = parseJsonObject(text);
    const type = value?.type;
    const handler = typeof type === 'string' && Object.hasOwn(handlers, type) ? handlers[type] : undefined;
    const request = value && handler ? handler.parse(value) : null;
    if (handler && request !== null) return { handler, request };
    // Looked at after reading: a write during the read counts as a change, so it is 'later'.
    const unchanged = await ages.unchangedFor(file);
    if (unchanged === null) return 'gone';
    return unchanged < graceMs ? 'later' : 'invalid';
  };

  const take = async (name: string) => {
    const file = join(dir, name);
    let answer: unknown;
    try {
      const found = await readRequest(file);
      if (found === 'later' || found === 'gone') return;
      if (found === 'invalid') {
        log.warn({ request: name }, `${name} is not a valid request: answered with an error`);
        answer = { error: invalid };
      } else answer = await found.handler.apply(found.request, name);
    } catch (error) {
      log.error(
        { err: error, request: name },
        `could not apply the request ${name}: ${(error as Error).message}`,
      );
      answer = { error: (error as Error).message };
    }
    try {
      const done = answerFile(file);
      await writeFile(`${done}.tmp`, JSON.stringify(answer));
      await rename(`${done}.tmp`, done);
    } catch (error) {
      log.warn({ err: error, request: name }, `cannot answer ${name}: ${(error as Error).message}`);
    }
    // Removed even unanswered: applied once, never again.
    await rm(file, { force: true });
  };

  const sweep = async (names: string[]) => {
    ages.keepOnly(names.map((name) => join(dir, name)));
    for (const name of names.filter(isLeftover).sort()) {
      const file = join(dir, name);
      const unchanged = await ages.unchangedFor(file);
      if (unchanged !== null && unchanged >= staleMs) await rm(file, { force: true });
    }
  };

  const pass = async () => {
    try {
      const names = await readdir(dir);
      for (const name of requestNames(names)) {
        if (stopped) return;
        await take(name);
      }
      if (!stopped) await sweep(names);
    } catch (error) {
      log.warn({ err: error }, `cannot read ${dir}: ${(error as Error).message}`);
    }
  };

  const drain = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (!current) return (current = pass().finally(() => (current = null)));
    // `current` is cleared before this runs: the next pass starts afresh.
    return (queued ??= current.then(() => ((queued = null), drain())));
  };

  return {
    async start() {
      await mkdir(dir, { recursive: true });
      if (options.pidFile) await writePidFile(options.pidFile);
      if (options.watch)
        try {
          watcher = watch(dir, () => void drain());
          watcher.on('error', () => {}); // the poll below still runs
        } catch {
          // Some file systems cannot be watched: polling alone still finds every request.
        }
      timer = setInterval(() => void drain(), intervalMs);
      timer.unref();
      await drain();
    },
    drain,
    async stop() {
      stopped = true;
      clearInterval(timer);
      watcher?.close();
      await (queued ?? current);
      if (options.pidFile) await removePidFile(options.pidFile);
    },
  };
}
