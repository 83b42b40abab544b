import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { parseJsonObject, type JsonObject } from '../control/channel.js';
import { pidFile } from '../control/pid.js';
import { createRequestReader, defineRequestHandler } from '../control/reader.js';
import { requeue } from '../delivery/outbox/requeue.js';
import type { OutboxRecord } from '../delivery/outbox/record.js';
import { backupText, snapshotOf, writeFileAtomic } from '../store/backup.js';
import type { Store } from '../store/port.js';
import { COLLECTIONS } from '../store/records.js';

/** Folder where other commands leave requests for the running process (`spout deliveries retry`, `spout backup`). */
export const requestsDir = (storePath: string): string => `${storePath}.requests`;

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
 * other commands leave requests in {@link requestsDir} instead of writing it. This applies them
 * to the store (`deliveries.retry`; `backup`, which writes the store's snapshot beside the
 * request for `spout backup`) and answers each, through the request channel (src/control/):
 * requests left before it started are applied before it resolves, later ones as they come.
 * Returns a stop function that also removes the pid file.
 */
export async function startControl(
  storePath: string,
  store: Store,
  log: Logger,
  options: ControlOptions = {},
): Promise<() => Promise<void>> {
  const retry = defineRequestHandler<RetryRequest>({
    parse: retryRequestOf,
    async apply(request, name) {
      const n = applyRetry(store, request, new Date());
      await store.flush();
      log.info({ request: name, requeued: n }, `deliveries retry: ${n} delivery(ies) queued again`);
      return { requeued: n };
    },
  });
  const backup = defineRequestHandler<BackupRequest>({
    parse: backupRequestOf,
    async apply(_request, name) {
      const answer = await writeBackup(store, join(requestsDir(storePath), name));
      log.info(
        { request: name, documents: answer.documents, bytes: answer.bytes },
        `backup: snapshot of ${answer.documents} document(s) written for spout backup`,
      );
      return answer;
    },
  });
  const reader = createRequestReader({
    ...options,
    dir: requestsDir(storePath),
    pidFile: pidFile(storePath),
    handlers: { 'deliveries.retry': retry, backup },
    log,
  });
  await reader.start();
  return reader.stop;
}

/** A request in {@link requestsDir}: retry these deliveries, or every dead one. */
export interface RetryRequest {
  type: 'deliveries.retry';
  ids?: string[];
  dead?: boolean;
}

/** A request in {@link requestsDir}: write the store's snapshot for `spout backup`. */
export interface BackupRequest {
  type: 'backup';
}

/** A request in the control folder: retry deliveries, or take a backup. */
export type ControlRequest = RetryRequest | BackupRequest;

/** A {@link RetryRequest} from a request file's object, or null when it is not one. */
export function retryRequestOf(r: JsonObject): RetryRequest | null {
  if (r.type !== 'deliveries.retry') return null;
  if (r.dead === true) return { type: 'deliveries.retry', dead: true };
  if (Array.isArray(r.ids) && r.ids.every((id) => typeof id === 'string'))
    return { type: 'deliveries.retry', ids: r.ids as string[] };
  return null;
}

/** A {@link BackupRequest} from a request file's object, or null when it is not one. */
export const backupRequestOf = (r: JsonObject): BackupRequest | null =>
  r.type === 'backup' ? { type: 'backup' } : null;

/** A {@link BackupRequest} from a request file's text, or null when it is not one. */
export function parseBackupRequest(text: string): BackupRequest | null {
  const r = parseJsonObject(text);
  return r && backupRequestOf(r);
}

/** A {@link ControlRequest} from a request file's text, or null when it is not one. */
export function parseControlRequest(text: string): ControlRequest | null {
  const r = parseJsonObject(text);
  return r && (retryRequestOf(r) ?? backupRequestOf(r));
}

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
