import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/*
 * Request folders (`spout deliveries retry`, `spout token create|revoke` → the running process).
 * A command writes `<time>-<pid>-<random>.json.tmp` and renames it to `….json`, so the reader,
 * which only takes `*.json`, never sees half a request. The reader answers with `….json.done`
 * (written aside and renamed too) and then removes the request; the command reads the answer
 * and removes it. Answers no command came for, and temporary files a killed command left, are
 * removed once they have stood unchanged for {@link REQUEST_STALE_MS}.
 *
 * Ages are measured by the reader, on its own monotonic clock, from when it first saw a file as
 * it is now, never from the file's modification time: that is stamped by whatever clock the
 * file system (or the writer's machine) keeps, and a reader whose wall clock differs (a skewed
 * container, NFS, a clock shifted for tests) would take every file for stale or for brand new.
 */

/**
 * How long a request file that is not a valid request is left alone, counted from its last
 * change: a writer that does not rename (a script, an older spout) may still be writing it in
 * place. After that it is answered with an error.
 */
export const REQUEST_GRACE_MS = 5_000;
/** How long an answer (`.done`) or a temporary file (`.tmp`) is kept unchanged (commands wait 10 s). */
export const REQUEST_STALE_MS = 60_000;

/** How long the files of one folder have stood unchanged, as one reader has watched them. */
export interface FileAges {
  /**
   * Milliseconds since this reader first saw `file` as it is now (size, modification time and
   * inode unchanged): 0 the first time and after every change; null when it is gone.
   */
  unchangedFor(file: string): Promise<number | null>;
  /** Forget every file not among `files` (those no longer in the folder). */
  keepOnly(files: Iterable<string>): void;
}

/** Ages on `now`, a monotonic clock in milliseconds (default `performance.now`). */
export function createFileAges(now: () => number = () => performance.now()): FileAges {
  const seen = new Map<string, { signature: string; since: number }>();
  return {
    async unchangedFor(file) {
      let signature: string;
      try {
        const s = await stat(file);
        signature = `${s.size}:${s.mtimeMs}:${s.ino}`;
      } catch {
        seen.delete(file);
        return null;
      }
      const at = now();
      const known = seen.get(file);
      if (known?.signature === signature) return at - known.since;
      seen.set(file, { signature, since: at });
      return 0;
    },
    keepOnly(files) {
      const keep = new Set(files);
      for (const file of seen.keys()) if (!keep.has(file)) seen.delete(file);
    },
  };
}

/** Leave `request` in the folder `dir` (created if need be); returns the request file's path. */
export async function writeRequest(dir: string, request: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  // Named by time first: the running process applies requests in name order.
  const file = join(dir, `${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.json`);
  await writeFile(`${file}.tmp`, JSON.stringify(request));
  await rename(`${file}.tmp`, file);
  return file;
}

/**
 * Wait up to `ms` for the answer to the request `file`; returns it (and removes it), or null
 * when none came in time.
 */
export async function awaitAnswer<T>(file: string, ms: number): Promise<T | null> {
  const done = `${file}.done`;
  for (const end = performance.now() + ms; ;) {
    if (!existsSync(file) && existsSync(done)) {
      const answer = JSON.parse(await readFile(done, 'utf8')) as T;
      await rm(done, { force: true });
      return answer;
    }
    if (performance.now() >= end) return null;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A request file's text as a JSON object, or null when it is not one (torn, or not an object). */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** The names of the requests in `dir` waiting to be applied, in the order to apply them. */
export const requestNames = (names: string[]): string[] => names.filter((n) => n.endsWith('.json')).sort();

/**
 * Read the request file `file`: the request; an error when it is no request (once it has not
 * changed for `graceMs`, as `ages` has watched it); `later` while it may still be being
 * written; `gone` when another reader took it.
 */
export async function readRequest<T>(
  file: string,
  parse: (text: string) => T | null,
  ages: FileAges,
  graceMs = REQUEST_GRACE_MS,
): Promise<{ request: T } | { error: string } | 'later' | 'gone'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const request = parse(text);
  if (request !== null) return { request };
  // Looked at after reading: a write during the read counts as a change, so it is 'later'.
  const unchanged = await ages.unchangedFor(file);
  if (unchanged === null) return 'gone';
  return unchanged < graceMs ? 'later' : { error: 'not a valid request (unreadable JSON or wrong fields)' };
}

/** Answer the request `file` with `answer` (the command waits for it), then remove the request. */
export async function answerRequest(file: string, answer: unknown): Promise<void> {
  await writeFile(`${file}.done.tmp`, JSON.stringify(answer));
  await rename(`${file}.done.tmp`, `${file}.done`);
  await rm(file, { force: true });
}

/**
 * Remove the answers and temporary files among `names` (the folder `dir`'s entries) that have
 * stood unchanged for `staleMs`, as `ages` has watched them; `ages` forgets files no longer there.
 */
export async function removeStaleAnswers(
  dir: string,
  names: string[],
  ages: FileAges,
  staleMs = REQUEST_STALE_MS,
): Promise<void> {
  ages.keepOnly(names.map((name) => join(dir, name)));
  for (const name of names) {
    if (!name.endsWith('.done') && !name.endsWith('.tmp')) continue;
    const file = join(dir, name);
    const unchanged = await ages.unchangedFor(file);
    if (unchanged !== null && unchanged >= staleMs) await rm(file, { force: true });
  }
}
