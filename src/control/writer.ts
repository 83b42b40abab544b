import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { answerFile, parseJsonObject, requestNames, type JsonObject } from './channel.js';

/*
 * The command's side of the channel (see channel.ts): leave a request, wait for its answer.
 */

/** How often a waiting command looks for its answer (ms). */
const ANSWER_POLL_MS = 10;

/**
 * Leave `request` in the folder `dir` (created if need be), written aside and renamed so the
 * reader never sees half of it. Requests are applied in the order they were written (to the
 * millisecond). Returns the request file's path.
 */
export async function writeRequest(dir: string, request: object): Promise<string> {
  await mkdir(dir, { recursive: true });
  // Named by time first: the running process applies requests in name order.
  const file = join(dir, `${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.json`);
  await writeFile(`${file}.tmp`, JSON.stringify(request));
  await rename(`${file}.tmp`, file);
  return file;
}

/**
 * Wait up to `ms` for the answer to the request `file`; returns it (and removes it), or null
 * when none came in time (the request then stays queued: see {@link withdrawRequest}).
 */
export async function awaitAnswer<T>(file: string, ms: number): Promise<T | null> {
  const done = answerFile(file);
  for (const end = performance.now() + ms; ;) {
    if (!existsSync(file) && existsSync(done)) {
      const answer = JSON.parse(await readFile(done, 'utf8')) as T;
      await rm(done, { force: true });
      return answer;
    }
    if (performance.now() >= end) return null;
    await new Promise((r) => setTimeout(r, ANSWER_POLL_MS));
  }
}

/**
 * {@link writeRequest} then {@link awaitAnswer}: the request file and its answer, null when
 * none came within `ms`.
 */
export async function sendRequest<T>(
  dir: string,
  request: object,
  ms: number,
): Promise<{ file: string; answer: T | null }> {
  const file = await writeRequest(dir, request);
  return { file, answer: await awaitAnswer<T>(file, ms) };
}

/**
 * Take back the request `file` no answer came for, so it is not applied later. Should the
 * running process have taken it meanwhile, its answer is swept once stale.
 */
export async function withdrawRequest(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * The requests in `dir` no process has taken yet, in the order they will be applied; files that
 * cannot be read or are no JSON object are left out. None when the folder does not exist.
 */
export async function queuedRequests(dir: string): Promise<JsonObject[]> {
  const names = existsSync(dir) ? requestNames(await readdir(dir)) : [];
  const requests: JsonObject[] = [];
  for (const name of names) {
    const request = parseJsonObject(await readFile(join(dir, name), 'utf8').catch(() => ''));
    if (request) requests.push(request);
  }
  return requests;
}
