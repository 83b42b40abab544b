import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pidFile, requestsDir, requeue, writePidFile, type RetryRequest } from '../store/outbox.js';
import type { Store } from '../store/port.js';
import { COLLECTIONS, type OutboxRecord } from '../store/records.js';

/**
 * While `spout run` runs it owns the store (lowdb is single-process): it writes a pid file, and
 * other commands leave requests in a folder beside the store instead of writing it. This picks
 * them up every `intervalMs`, applies them to the store, and removes each request file once done
 * (the command waits for that). Returns a stop function that also removes the pid file.
 */
export async function startControl(
  storePath: string,
  store: Store,
  log: Logger,
  intervalMs = 300,
): Promise<() => Promise<void>> {
  const dir = requestsDir(storePath);
  await mkdir(dir, { recursive: true });
  await writePidFile(pidFile(storePath));
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
        const file = join(dir, name);
        try {
          const request = JSON.parse(await readFile(file, 'utf8')) as RetryRequest;
          const n = applyRetry(store, request, new Date());
          await store.flush();
          log.info({ request: name, requeued: n }, `deliveries retry: ${n} delivery(ies) queued again`);
          await writeFile(`${file}.done`, JSON.stringify({ requeued: n }));
        } catch (error) {
          log.error(
            { err: error, request: name },
            `could not apply the request ${name}: ${(error as Error).message}`,
          );
          await writeFile(`${file}.done`, JSON.stringify({ error: (error as Error).message })).catch(
            () => {},
          );
        }
        await rm(file, { force: true });
      }
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
