import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
import {
  backupText,
  parseBackupRequest,
  snapshotOf,
  writeFileAtomic,
  type BackupRequest,
} from '../store/backup.js';
import type { Store } from '../store/port.js';
import { COLLECTIONS } from '../store/records.js';
import type { OutboxRecord } from '../delivery/outbox/record.js';

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
 * them up every `intervalMs` (`deliveries.retry`; `backup`, which writes the store's snapshot
 * beside the request for `spout backup`), applies them to the store, answers each
 * (`<request>.done`, which the command reads and removes) and removes the request. Only complete `*.json` files are
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
        let answer: { requeued: number } | BackupAnswer | { error: string };
        try {
          const read = await readRequest(file, parseControlRequest, ages, graceMs);
          if (read === 'later' || read === 'gone') continue;
          if ('error' in read) throw new Error(read.error);
          if (read.request.type === 'backup') {
            answer = await writeBackup(store, file);
            log.info(
              { request: name, documents: answer.documents, bytes: answer.bytes },
              `backup: snapshot of ${answer.documents} document(s) written for spout backup`,
            );
          } else {
            const n = applyRetry(store, read.request, new Date());
            await store.flush();
            log.info({ request: name, requeued: n }, `deliveries retry: ${n} delivery(ies) queued again`);
            answer = { requeued: n };
          }
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

/** A request in the control folder: retry deliveries, or take a backup. */
export type ControlRequest = RetryRequest | BackupRequest;

/** A {@link ControlRequest} from a request file's text, or null when it is not one. */
export const parseControlRequest = (text: string): ControlRequest | null =>
  parseRetryRequest(text) ?? parseBackupRequest(text);

/** The answer to a backup request: where the backup waits for the command that asked for it. */
export interface BackupAnswer {
  /** File name in the request folder (the command moves it to where it was asked for). */
  file: string;
  documents: number;
  bytes: number;
}

/** Name of the backup file staged beside the request `file` (`.done`: removed if left unclaimed). */
export const stagedBackup = (file: string): string => `${file}.backup.done`;

/**
 * Flush the store, then take its snapshot from memory in one synchronous step (so it is
 * consistent: no change can come between two collections) and write it atomically beside the
 * request. The running process writes only in the store's own folder, which it can always
 * write (a sandboxed service may not write anywhere else); the command copies it on.
 */
export async function writeBackup(store: Store, file: string): Promise<BackupAnswer> {
  await store.flush();
  const data = snapshotOf(store);
  const text = backupText(data, store.location);
  const staged = stagedBackup(file);
  await writeFileAtomic(staged, text);
  const documents = Object.values(data.collections).reduce((n, docs) => n + Object.keys(docs).length, 0);
  return { file: basename(staged), documents, bytes: Buffer.byteLength(text) };
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
