import { readStoreFiles } from '../store/file-format.js';
import { openLowdbStore } from '../store/lowdb.js';
import { pidFile, processAlive, requestsDir, type RetryRequest } from '../store/outbox.js';
import { awaitAnswer, writeRequest } from '../store/request-folder.js';
import { COLLECTIONS, type DeliveryAttempt, type OutboxRecord } from '../store/records.js';
import { applyRetry } from './control.js';
import type { CliEnv } from './io.js';
import { loadForCommand } from './load.js';

const STATUSES = ['pending', 'delivered', 'dead', 'disabled'];
/** How long `retry` waits for the running process to apply its request. */
const WAIT_MS = 10_000;

/**
 * `spout deliveries list [--status S] [--json] | show ID | retry ID… | retry --dead`.
 * list and show read the store without writing it (they work while `spout run` runs). retry
 * hands the request to the running process when there is one (it owns the store) and waits for
 * it to be applied; otherwise it changes the store itself, and the next `spout run` sends them.
 */
export async function deliveriesCommand(
  args: string[],
  flags: { config?: string; json?: boolean; status?: string; dead?: boolean },
  cli: CliEnv,
): Promise<number> {
  const config = await loadForCommand(flags.config, cli);
  if (typeof config === 'number') return config;
  const [sub = 'list', ...ids] = args;
  const path = config.storage.path;
  if (sub === 'list' || sub === 'show') {
    const { data } = await readStoreFiles(path);
    const outbox = Object.values(data.collections[COLLECTIONS.outbox] ?? {}) as OutboxRecord[];
    if (sub === 'show')
      return show(
        ids[0],
        outbox,
        Object.values(data.collections[COLLECTIONS.deliveries] ?? {}) as DeliveryAttempt[],
        flags,
        cli,
      );
    if (flags.status && !STATUSES.includes(flags.status)) {
      cli.io.err(`spout deliveries: --status must be one of ${STATUSES.join(', ')}\n`);
      return 2;
    }
    const rows = outbox
      .filter((r) => !flags.status || r.status === flags.status)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    if (flags.json) cli.io.out(JSON.stringify(rows, null, 2) + '\n');
    else cli.io.out(rows.length === 0 ? 'no deliveries\n' : rows.map(line).join('\n') + '\n');
    return 0;
  }
  if (sub === 'retry') {
    if (!flags.dead && ids.length === 0) {
      cli.io.err('spout deliveries retry: give delivery ids, or --dead for every dead delivery\n');
      return 2;
    }
    let request: RetryRequest = { type: 'deliveries.retry', dead: true };
    if (!flags.dead) {
      // Ids as `spout deliveries list` shows them, or bare event ids (as `show` accepts).
      const { data } = await readStoreFiles(path);
      const outbox = Object.values(data.collections[COLLECTIONS.outbox] ?? {}) as OutboxRecord[];
      const found = ids.map((id) => outbox.filter((r) => r.id === id || r.eventId === id).map((r) => r.id));
      const unknown = ids.filter((_, i) => found[i]?.length === 0);
      if (unknown.length > 0) {
        cli.io.err(
          `spout deliveries retry: no delivery ${unknown.map((u) => `"${u}"`).join(', ')} (spout deliveries list shows the ids)\n`,
        );
        return 1;
      }
      request = { type: 'deliveries.retry', ids: found.flat() };
    }
    const requeued = running(path) ? await viaRunningProcess(path, request) : await directly(path, request);
    if (typeof requeued === 'string') {
      cli.io.err(`spout deliveries retry: ${requeued}\n`);
      return 1;
    }
    cli.io.out(
      `${requeued} delivery(ies) queued again${running(path) ? '' : '; they are sent when spout run starts'}\n`,
    );
    return 0;
  }
  cli.io.err(`spout deliveries: unknown subcommand "${sub}" (list, show ID, retry ID… | --dead)\n`);
  return 2;
}

function line(r: OutboxRecord): string {
  const last = r.lastStatus ? `HTTP ${r.lastStatus}` : (r.lastError ?? '');
  const when =
    r.status === 'pending'
      ? `next ${r.nextAttemptAt ?? '-'}`
      : r.status === 'delivered'
        ? `at ${r.deliveredAt ?? r.updatedAt}`
        : `since ${r.updatedAt}`;
  return `${r.id}  ${r.status.padEnd(9)} ${String(r.attempts).padStart(2)} attempt(s)  ${r.eventType}  ${when}  ${last}`.trimEnd();
}

function show(
  id: string | undefined,
  outbox: OutboxRecord[],
  attempts: DeliveryAttempt[],
  flags: { json?: boolean },
  cli: CliEnv,
): number {
  const record = outbox.find((r) => r.id === id || r.eventId === id);
  if (!record) {
    cli.io.err(`spout deliveries show: no delivery "${id ?? ''}" (spout deliveries list shows the ids)\n`);
    return 1;
  }
  const log = attempts.filter((a) => a.outboxId === record.id).sort((a, b) => a.attempt - b.attempt);
  if (flags.json) cli.io.out(JSON.stringify({ delivery: record, attempts: log }, null, 2) + '\n');
  else {
    const rows = log.map(
      (a) =>
        `  #${a.attempt} ${a.createdAt}  ${a.outcome.padEnd(9)} ${a.statusCode ? `HTTP ${a.statusCode}` : (a.error ?? '')}  ${Math.round(a.latencyMs)} ms${a.nextAttemptAt ? `  next ${a.nextAttemptAt}` : ''}`,
    );
    cli.io.out([line(record), ...rows].join('\n') + '\n');
  }
  return 0;
}

const running = (path: string): boolean => processAlive(pidFile(path));

async function viaRunningProcess(path: string, request: RetryRequest): Promise<number | string> {
  const dir = requestsDir(path);
  // Written aside and renamed: the running process never reads half a request.
  const file = await writeRequest(dir, request);
  const done = await awaitAnswer<{ requeued?: number; error?: string }>(file, WAIT_MS);
  if (!done)
    return `the running spout did not pick the request up within ${WAIT_MS / 1000} s (is it stuck?); it stays queued in ${dir}`;
  return done.error ?? done.requeued ?? 0;
}

async function directly(path: string, request: RetryRequest): Promise<number> {
  const store = await openLowdbStore({ path });
  try {
    return applyRetry(store, request, new Date());
  } finally {
    await store.close();
  }
}
