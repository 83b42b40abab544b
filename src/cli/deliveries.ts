import { pidFile, processAlive } from '../control/pid.js';
import { sendRequest } from '../control/writer.js';
import { parseSince } from '../stats/since.js';
import { readStoreFiles } from '../store/file-format.js';
import { openLowdbStore } from '../store/lowdb.js';
import { COLLECTIONS } from '../store/records.js';
import type { DeliveryAttempt, OutboxRecord } from '../delivery/outbox/record.js';
import type { SpoutConfig } from '../config/types.js';
import { applyRetry, requestsDir, type RetryRequest } from './control.js';
import type { CliEnv } from './io.js';
import { loadForCommand } from './load.js';

const STATUSES = ['pending', 'delivered', 'dead', 'disabled'];
const USAGE =
  'spout deliveries list [--output NAME] [--status pending|delivered|dead|disabled] [--since DATE|DURATION] [--limit N] [--json]' +
  ' | show EVENT_ID|OUTPUT/EVENT_ID [--json] | retry ID… | retry --dead';
/** How long `retry` waits for the running process to apply its request. */
const WAIT_MS = 10_000;

export interface DeliveriesFlags {
  config?: string;
  json?: boolean;
  /** list: only this output instance's deliveries. */
  output?: string;
  status?: string;
  /** list: created at or after an ISO date (2026-11-21) or that long ago (2h). */
  since?: string;
  /** list: the N newest only, newest first (as given on the command line: checked here). */
  limit?: string;
  dead?: boolean;
}

/**
 * `spout deliveries list [--output NAME] [--status S] [--since WHEN] [--limit N] [--json] |
 * show ID | retry ID… | retry --dead`. list prints the matching deliveries oldest first; with
 * `--limit N` the N newest, newest first, and says on stderr how many more matched. show prints
 * every output's delivery of one event (an event id, or one delivery's id `output/evt_…`) with
 * its attempts. Bad flag values exit 2.
 * list and show read the store without writing it (they work while `spout run` runs). retry
 * hands the request to the running process when there is one (it owns the store) and waits for
 * it to be applied; otherwise it changes the store itself, and the next `spout run` sends them.
 */
export async function deliveriesCommand(
  args: string[],
  flags: DeliveriesFlags,
  cli: CliEnv,
): Promise<number> {
  const [sub = 'list', ...ids] = args;
  const usage = (problem: string) => (
    cli.io.err(
      `spout deliveries${sub === 'list' || sub === 'show' ? ` ${sub}` : ''}: ${problem} (SPOUT_CLI_USAGE)\nUsage: ${USAGE}\n`,
    ),
    2
  );
  // Flag values are checked before anything is read: a typo is a usage error, whatever is stored.
  const now = new Date();
  let since: Date | null = null;
  let limit: number | null = null;
  if (sub === 'list') {
    if (flags.status !== undefined && !STATUSES.includes(flags.status))
      return usage(`--status must be one of ${STATUSES.join(', ')} (got "${flags.status}")`);
    if (flags.output !== undefined && !/^[\w.-]{1,128}$/.test(flags.output))
      return usage(
        `--output takes an output instance name, as under outputs: in the configuration (got "${flags.output}")`,
      );
    if (flags.since !== undefined) {
      since = parseSince(flags.since, now);
      if (!since)
        return usage(
          `--since "${flags.since}" is neither an ISO date nor a duration (examples: 2026-11-21, 2h, 7d)`,
        );
    }
    if (flags.limit !== undefined) {
      limit = /^\d{1,9}$/.test(flags.limit.trim()) ? Number(flags.limit.trim()) : 0;
      if (limit < 1)
        return usage(`--limit takes a whole number of deliveries, 1 or more (got "${flags.limit}")`);
    }
  } else if (sub === 'show') {
    if (ids.length !== 1) return usage('give one event id, or one delivery id (output/evt_…)');
  }
  const config = await loadForCommand(flags.config, cli);
  if (typeof config === 'number') return config;
  const path = config.storage.path;
  const source = deliveriesSource(config);
  if (sub === 'list' || sub === 'show') {
    const { outbox, attempts } = await source.read();
    if (sub === 'show') return show(ids[0] as string, outbox, attempts, flags, cli);
    if (flags.output !== undefined && !outbox.some((r) => r.instance === flags.output)) {
      const outputs = config.instances.filter((i) => i.section === 'outputs').map((i) => i.name);
      if (!outputs.includes(flags.output))
        return usage(
          `no output "${flags.output}" in ${config.file} nor in the stored deliveries (outputs: ${outputs.join(', ') || 'none'})`,
        );
    }
    const matching = outbox.filter(
      (r) =>
        (flags.output === undefined || r.instance === flags.output) &&
        (flags.status === undefined || r.status === flags.status) &&
        (since === null || Date.parse(r.createdAt) >= since.getTime()),
    );
    const oldestFirst = (a: OutboxRecord, b: OutboxRecord) =>
      a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
    const rows =
      limit === null
        ? matching.sort(oldestFirst)
        : matching.sort((a, b) => oldestFirst(b, a)).slice(0, limit);
    if (flags.json) cli.io.out(JSON.stringify(rows, null, 2) + '\n');
    else
      cli.io.out(
        rows.length > 0
          ? rows.map(line).join('\n') + '\n'
          : outbox.length === 0
            ? 'no deliveries\n'
            : `no deliveries match (${outbox.length} stored)\n`,
      );
    const more = matching.length - rows.length;
    if (more > 0)
      cli.io.err(
        `${more} more older ${more === 1 ? 'delivery matches' : 'deliveries match'} (--limit ${limit}; raise it, or narrow with --since, --status or --output)\n`,
      );
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
      const { outbox } = await source.read();
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
    const live = source.retry ? true : running(path);
    const requeued = source.retry
      ? await source.retry(request)
      : live
        ? await viaRunningProcess(path, request)
        : await directly(path, request);
    if (typeof requeued === 'string') {
      cli.io.err(`spout deliveries retry: ${requeued}\n`);
      return 1;
    }
    cli.io.out(
      `${requeued} delivery(ies) queued again${live ? '' : '; they are sent when spout run starts'}\n`,
    );
    return 0;
  }
  return usage(`unknown subcommand "${sub}"`);
}

function line(r: OutboxRecord): string {
  const last = r.lastStatus ? `HTTP ${r.lastStatus}` : (r.lastError ?? '');
  const when =
    r.status === 'pending'
      ? `next ${r.nextAttemptAt ?? '-'}`
      : r.status === 'delivered'
        ? `at ${r.deliveredAt ?? r.updatedAt}`
        : `since ${r.updatedAt}`;
  // A test delivery (`spout test OUTPUT`) is marked, so it is not taken for an alert.
  const type = r.test ? `${r.eventType} [test]` : r.eventType;
  return `${r.id}  ${r.status.padEnd(9)} ${String(r.attempts).padStart(2)} attempt(s)  ${type}  ${when}  ${last}`.trimEnd();
}

/**
 * Every output's delivery of one event: `id` is an event id, or one delivery's id
 * (`output/evt_…`, as list shows them), which stands for its event.
 */
function show(
  id: string,
  outbox: OutboxRecord[],
  attempts: DeliveryAttempt[],
  flags: { json?: boolean },
  cli: CliEnv,
): number {
  const eventId =
    outbox.find((r) => r.id === id)?.eventId ??
    (outbox.some((r) => r.eventId === id) ? id : id.includes('/') ? id.slice(id.indexOf('/') + 1) : id);
  const records = outbox
    .filter((r) => r.eventId === eventId)
    .sort((a, b) => a.instance.localeCompare(b.instance));
  if (records.length === 0) {
    cli.io.err(`spout deliveries show: no delivery of "${id}" (spout deliveries list shows the ids)\n`);
    return 1;
  }
  const deliveries = records.map((delivery) => ({
    delivery,
    attempts: attempts.filter((a) => a.outboxId === delivery.id).sort((a, b) => a.attempt - b.attempt),
  }));
  if (flags.json) cli.io.out(JSON.stringify({ eventId, deliveries }, null, 2) + '\n');
  else {
    const out = [`event ${eventId}: ${records.length} output(s)`];
    for (const { delivery, attempts: log } of deliveries) {
      out.push(line(delivery));
      if (log.length === 0) out.push('  no attempts yet');
      for (const a of log)
        out.push(
          `  #${a.attempt} ${a.createdAt}  ${a.outcome.padEnd(9)} ${a.statusCode ? `HTTP ${a.statusCode}` : (a.error ?? '')}  ${Math.round(a.latencyMs)} ms${a.nextAttemptAt ? `  next ${a.nextAttemptAt}` : ''}`,
        );
    }
    cli.io.out(out.join('\n') + '\n');
  }
  return 0;
}

const running = (path: string): boolean => processAlive(pidFile(path));

/**
 * Where the deliveries are: the store file, or with `engine: redis` the deployment's Redis
 * (read there; a retry is applied by the leader, which holds the outbox).
 */
function deliveriesSource(config: SpoutConfig): {
  read(): Promise<{ outbox: OutboxRecord[]; attempts: DeliveryAttempt[] }>;
  retry?: (request: RetryRequest) => Promise<number | string>;
} {
  if (config.engine.use === 'redis') {
    // Loaded only with the Redis engine: the embedded one never pays for a Redis client.
    const remote = import('./control-redis.js').then((m) => m.redisDeliveries(config, WAIT_MS));
    return {
      read: async () => (await remote).read(),
      retry: async (request) => (await remote).retry(request),
    };
  }
  return {
    async read() {
      const { data } = await readStoreFiles(config.storage.path);
      return {
        outbox: Object.values(data.collections[COLLECTIONS.outbox] ?? {}) as OutboxRecord[],
        attempts: Object.values(data.collections[COLLECTIONS.deliveries] ?? {}) as DeliveryAttempt[],
      };
    },
  };
}

async function viaRunningProcess(path: string, request: RetryRequest): Promise<number | string> {
  const dir = requestsDir(path);
  const { answer: done } = await sendRequest<{ requeued?: number; error?: string }>(dir, request, WAIT_MS);
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
