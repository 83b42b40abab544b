import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  parseRetryRequest,
  pidFile,
  requestsDir,
  requeue,
  writePidFile,
  type RetryRequest,
} from '../store/outbox.js';
import {
  answerRequest,
  createFileAges,
  readRequest,
  removeStaleAnswers,
  REQUEST_GRACE_MS,
  REQUEST_STALE_MS,
  requestNames,
} from '../store/request-folder.js';
import type { Store } from '../store/port.js';
import { COLLECTIONS, type OutboxRecord } from '../store/records.js';

export interface ControlOptions {
  /** How often the folder is read (ms). */
  intervalMs?: number;
  /** How long a file that is not a valid request may still be being written (ms). */
  graceMs?: number;
  /** How long answers and temporary files no command came for are kept unchanged (ms). */
  staleMs?: number;
  /** The monotonic clock files are aged on (ms; default `performance.now`). */
  now?: () => number;
}

/**
 * While `spout run` runs it owns the store (lowdb is single-process): it writes a pid file, and
 * other commands leave requests in a folder beside the store instead of writing it. This picks
 * them up every `intervalMs`, applies them to the store, answers each (`<request>.done`, which
 * the command reads and removes) and removes the request. Only complete `*.json` files are
 * taken (commands write aside and rename); one that does not parse is retried until it has not
 * changed for `graceMs`, then answered with an error. Returns a stop function that also removes
 * the pid file.
 */
export async function startControl(
  storePath: string,
  store: Store,
  log: Logger,
  options: ControlOptions = {},
): Promise<() => Promise<void>> {
  const { intervalMs = 300, graceMs = REQUEST_GRACE_MS, staleMs = REQUEST_STALE_MS } = options;
  const ages = createFileAges(options.now);
  const dir = requestsDir(storePath);
  await mkdir(dir, { recursive: true });
  await writePidFile(pidFile(storePath));
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const all = await readdir(dir);
      for (const name of requestNames(all)) {
        const file = join(dir, name);
        let answer: { requeued: number } | { error: string };
        try {
          const read = await readRequest(file, parseRetryRequest, ages, graceMs);
          if (read === 'later' || read === 'gone') continue;
          if ('error' in read) throw new Error(read.error);
          const n = applyRetry(store, read.request, new Date());
          await store.flush();
          log.info({ request: name, requeued: n }, `deliveries retry: ${n} delivery(ies) queued again`);
          answer = { requeued: n };
        } catch (error) {
          log.error(
            { err: error, request: name },
            `could not apply the request ${name}: ${(error as Error).message}`,
          );
          answer = { error: (error as Error).message };
        }
        await answerRequest(file, answer).catch(async (error: unknown) => {
          log.warn({ err: error, request: name }, `cannot answer ${name}: ${(error as Error).message}`);
          await rm(file, { force: true });
        });
      }
      await removeStaleAnswers(dir, all, ages, staleMs);
    } catch (error) {
      log.warn({ err: error }, `cannot read ${dir}: ${(error as Error).message}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void poll(), intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await rm(pidFile(storePath), { force: true });
  };
}

/** Make the requested dead/disabled deliveries pending again; returns how many. */
export function applyRetry(store: Store, request: RetryRequest, now: Date): number {
  const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
  const targets = request.dead
    ? [...outbox.entries()].filter(([, r]) => r.status === 'dead').map(([id]) => id)
    : (request.ids ?? []);
  let n = 0;
  for (const id of targets) {
    const record = outbox.get(id);
    if (!record) continue;
    const next = requeue(record, now);
    if (next !== record) (outbox.put(id, next), n++);
  }
  return n;
}
