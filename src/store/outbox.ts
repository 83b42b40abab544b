import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { OutboxRecord } from '../delivery/outbox/record.js';
import { parseJsonObject } from './request-folder.js';

/**
 * A dead or disabled delivery made pending again, due now, with its attempts reset (the delivery
 * log keeps the earlier attempts). Any other record is returned unchanged.
 */
export function requeue(record: OutboxRecord, now: Date): OutboxRecord {
  if (record.status !== 'dead' && record.status !== 'disabled') return record;
  const { deliveredAt: _delivered, ...rest } = record;
  return {
    ...rest,
    status: 'pending',
    attempts: 0,
    updatedAt: now.toISOString(),
    nextAttemptAt: now.toISOString(),
  };
}

/** File holding the pid of the `spout run` that owns the store at `storePath`. */
export const pidFile = (storePath: string): string => `${storePath}.pid`;

/**
 * Whether the process named in pid file `file` is running. Only a positive integer is a pid (an
 * empty or torn file is not: `kill(0)` would signal our own process group). EPERM means the
 * process exists but belongs to another user: it is running.
 */
export function processAlive(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return false;
  }
  if (!/^\d+$/.test(text)) return false;
  const pid = Number(text);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Write our pid to `file` aside and rename it, so a reader never sees an empty or partial file. */
export async function writePidFile(file: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, String(process.pid));
  await rename(tmp, file);
}

/** Folder where other commands leave requests for the running process (`spout deliveries retry`). */
export const requestsDir = (storePath: string): string => `${storePath}.requests`;

/** A request left in {@link requestsDir}: retry these deliveries, or every dead one. */
export interface RetryRequest {
  type: 'deliveries.retry';
  ids?: string[];
  dead?: boolean;
}

/** A {@link RetryRequest} from a request file's text, or null when it is not one. */
export function parseRetryRequest(text: string): RetryRequest | null {
  const r = parseJsonObject(text);
  if (r === null) return null;
  if (r.type !== 'deliveries.retry') return null;
  if (r.dead === true) return { type: 'deliveries.retry', dead: true };
  if (Array.isArray(r.ids) && r.ids.every((id) => typeof id === 'string'))
    return { type: 'deliveries.retry', ids: r.ids as string[] };
  return null;
}
