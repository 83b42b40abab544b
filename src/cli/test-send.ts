import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ChatMessageRecord, TargetState } from '../delivery/chat/record.js';
import { TEST_LABEL } from '../delivery/test-marker.js';
import { parseDuration } from '../config/durations.js';
import type { InstanceConfig, SpoutConfig } from '../config/types.js';
import { createKernel } from '../kernel/kernel.js';
import { eventMatcher } from '../kernel/routing.js';
import { createLogger } from '../log/logger.js';
import { createRedactor } from '../log/redact.js';
import type { OutputDefinition } from '../plugin/types.js';
import { openLowdbStore } from '../store/lowdb.js';
import { createMemoryStore } from '../store/memory.js';
import { pidFile, processAlive } from '../control/pid.js';
import type { Collection, Store } from '../store/port.js';
import { COLLECTIONS } from '../store/records.js';
import type { DeliveryAttempt, OutboxRecord } from '../delivery/outbox/record.js';
import type { CliEnv } from './io.js';
import { loadForCommand } from './load.js';
import { sampleEnvelopes, TEST_EVENTS, TEST_TXID, type TestEnvelope, type TestEvent } from './test-sample.js';

const USAGE = `spout test OUTPUT [--event ${TEST_EVENTS.join('|')}] [--json]`;
/** Outputs whose deliveries are chat messages (a whale's outcome edits its message). */
const CHAT = new Set(['telegram', 'discord']);
/** Built-in outputs with a `retry` option: a test makes one attempt. */
const RETRYING = new Set(['webhook', 'email', 'telegram', 'discord']);
/** How long past the output's own `timeout` (default 30 s) the command waits for the outcome. */
const MARGIN_MS = 30_000;

export interface TestFlags {
  config?: string;
  /** The sample to send (default: the first of {@link TEST_EVENTS} the output takes). */
  event?: string;
  json?: boolean;
}

/** For tests: how long to wait for the outcome in all (default: the output's timeout + 30 s). */
export interface TestOptions {
  waitMs?: number;
}

/** What became of the test delivery. */
interface Outcome {
  delivered: boolean;
  /** What was answered: `HTTP 200`, `posted as message 101 in chat …`, an SMTP reply. */
  answer: string;
  latencyMs: number;
  statusCode?: number;
  error?: string;
  /** What to do about a failure. */
  fix?: string;
  /** The records to keep as the test delivery, by collection. */
  records: Array<[collection: string, id: string, doc: unknown]>;
}

/**
 * `spout test OUTPUT [--event whale.detected|whale.confirmed|accuracy.degraded] [--json]`: send
 * one marked sample event (`test: true`, txid `000…test`, labels "TEST — sample alert from spout
 * test") through one configured output instance and print the outcome. Exit 0 when it was
 * delivered, 1 when it failed (why, and what to fix), 2 for a usage error (an unknown output or
 * event, an output that cannot be tested from here).
 *
 * The instance is set up alone through the kernel, from the configuration as `spout run` would,
 * and the sample goes through its own delivery path (routing, outbox or chat worker, signing,
 * transport), with these differences: the output's `filter:` is not applied, one attempt is made
 * (no retries), and HTTP is off (no port is taken). It runs on a memory store, so nothing of a
 * running `spout run` is touched and no statistics can be (no prediction, no outcome: no job
 * runs). Afterwards the test delivery's records (outbox and delivery log, or chat message),
 * marked `test: true`, are written to the store file so `spout deliveries list` shows them —
 * unless a running `spout run` owns the store (lowdb is single-process): then they are not
 * written, and the command says so.
 *
 * A `websocket` output cannot be tested from here: its clients are connected to the running
 * process (exit 2, with what to do instead).
 */
export async function testCommand(
  args: string[],
  flags: TestFlags,
  cli: CliEnv,
  options: TestOptions = {},
): Promise<number> {
  let scrub = (text: string) => text;
  const usage = (problem: string) => (
    cli.io.err(scrub(`spout test: ${problem} (SPOUT_CLI_USAGE)\nUsage: ${USAGE}\n`)),
    2
  );
  if (flags.event !== undefined && !(TEST_EVENTS as readonly string[]).includes(flags.event))
    return usage(`--event must be one of ${TEST_EVENTS.join(', ')} (got "${flags.event}")`);
  if (args.length > 1) return usage(`give one output name (got ${args.length}: ${args.join(' ')})`);
  const config = await loadForCommand(flags.config, cli);
  if (typeof config === 'number') return config;
  scrub = createRedactor(config.secrets, config.strictSecrets);

  const outputs = config.instances.filter((i) => i.section === 'outputs');
  const listed = () =>
    outputs.length === 0
      ? `${config.file} has no outputs`
      : `configured outputs: ${outputs.map((o) => `${o.name} (${o.use}${o.enabled ? '' : ', disabled'})`).join(', ')}`;
  const [name] = args;
  if (name === undefined) return usage(`which output? ${listed()}`);
  const instance = outputs.find((o) => o.name === name);
  if (!instance) {
    const other = config.instances.find((i) => i.name === name);
    if (other) return usage(`"${name}" is under ${other.section}:, not outputs:; ${listed()}`);
    const guess = closest(
      name,
      outputs.map((o) => o.name),
    );
    return usage(
      `no output "${name}" in ${config.file}; ${listed()}${guess ? `; did you mean "${guess}"?` : ''}`,
    );
  }
  const where = `outputs.${name}`;
  if (!instance.enabled || !instance.plugin)
    return usage(
      `${where} is disabled (enabled: false); enable it (and reload a running spout) before testing it`,
    );
  if (instance.use === 'websocket')
    return usage(
      `${where} is a websocket output: it delivers to the clients connected to the running spout, and this command runs apart from it with no clients. Connect a client (docs/websocket.md) to the running spout to see its events; the other outputs can be tested with spout test`,
    );
  const plugin = instance.plugin as OutputDefinition;
  const patterns = instance.events ?? plugin.defaultEvents;
  const routes = eventMatcher(patterns);
  const event = (flags.event as TestEvent | undefined) ?? TEST_EVENTS.find((t) => routes(t));
  const shown = `its events: ${patterns.join(', ')}${instance.events ? '' : ' (the default)'}`;
  if (event === undefined)
    return usage(
      `${where} takes none of the sample events ${TEST_EVENTS.join(', ')} (${shown}); a test sends one of them`,
    );
  if (!routes(event))
    return usage(
      `${where} does not take ${event} (${shown}), so spout never sends it there; choose --event from ${
        TEST_EVENTS.filter((t) => routes(t)).join(', ') || 'none: it takes none of the sample events'
      }`,
    );
  const chat = CHAT.has(instance.use);
  if (chat && event === 'whale.confirmed' && !routes('whale.detected'))
    return usage(
      `${where} does not take whale.detected (${shown}): a chat output shows a confirmation by editing the whale's message, so it never shows one`,
    );

  const envelopes = sampleEnvelopes(event, new Date(), chat);
  const main = envelopes[envelopes.length - 1] as TestEnvelope;
  const waitMs = options.waitMs ?? timeoutOf(instance) + MARGIN_MS;
  const outcome = await send(config, instance, envelopes, waitMs);
  if (typeof outcome === 'string') {
    cli.io.err(scrub(`spout test: ${outcome}\n`));
    return 1;
  }
  const recorded = outcome.records.length > 0 ? await record(config.storage.path, outcome.records) : null;

  if (flags.json) {
    cli.io.out(
      scrub(
        JSON.stringify(
          {
            output: name,
            use: instance.use,
            event,
            eventId: main.id,
            test: true,
            delivered: outcome.delivered,
            answer: outcome.answer,
            latencyMs: outcome.latencyMs,
            ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
            ...(outcome.error !== undefined ? { error: outcome.error } : {}),
            ...(outcome.fix !== undefined ? { fix: outcome.fix } : {}),
            ...(instance.use === 'webhook' ? { webhookId: main.id, signatures: secretsOf(instance) } : {}),
            recorded: recorded ?? { in: null, why: 'this output keeps no delivery records' },
          },
          null,
          2,
        ) + '\n',
      ),
    );
    return outcome.delivered ? 0 : 1;
  }

  const lines = [
    `spout test: ${where} (${instance.use}) ← ${event} ${main.id} [${TEST_LABEL}]`,
    `${outcome.delivered ? 'delivered in' : 'FAILED after'} ${Math.round(outcome.latencyMs)} ms: ${outcome.answer}`,
  ];
  if (outcome.delivered && instance.use === 'webhook') {
    const n = secretsOf(instance);
    lines.push(
      `webhook-id: ${main.id} (the receiver deduplicates on it; a test send always has a new one)`,
      `signed per Standard Webhooks with the ${n === 1 ? 'secret' : `${n} secrets`} of ${where}.secret: webhook-signature holds ${n === 1 ? 'one v1,… signature' : `${n} v1,… signatures, one per secret; any one verifies`}`,
      `verify on the receiver: new Webhook(secret).verify(rawBody, headers) (package standardwebhooks); the body carries "test": true`,
    );
  }
  if (!outcome.delivered && outcome.fix) lines.push(`fix: ${outcome.fix}`);
  if (recorded?.in)
    lines.push(
      `recorded as a test delivery in ${recorded.in}${outcome.records.some(([c]) => c === COLLECTIONS.outbox) ? ' (spout deliveries list marks it [test])' : ''}`,
    );
  else if (recorded) lines.push(`not recorded: ${recorded.why}`);
  const text = scrub(lines.join('\n') + '\n');
  if (outcome.delivered) cli.io.out(text);
  else cli.io.err(text);
  return outcome.delivered ? 0 : 1;
}

/**
 * Run `instance` alone through the kernel on a memory store, publish the envelopes and wait for
 * the outcome of the last one. Returns a problem that kept it from being tried at all.
 */
async function send(
  config: SpoutConfig,
  instance: InstanceConfig,
  envelopes: TestEnvelope[],
  waitMs: number,
): Promise<Outcome | string> {
  const name = instance.name;
  const where = `outputs.${name}`;
  const lines: string[] = [];
  const root = createLogger({
    level: 'info',
    format: 'json',
    secrets: config.secrets,
    strictSecrets: config.strictSecrets,
    write: (line) => void lines.push(line),
  });
  const watched = watchedMemoryStore();
  const alone: SpoutConfig = {
    ...config,
    http: { ...config.http, enabled: false },
    instances: [
      {
        ...instance,
        // The sample is meant to arrive: routing by `events:` stands, `filter:` does not.
        filter: null,
        // One attempt: the command reports it instead of waiting for the retry schedule.
        options: RETRYING.has(instance.use) ? { ...instance.options, retry: [] } : instance.options,
      },
    ],
  };
  const kernel = createKernel({
    config: alone,
    log: root.log,
    store: watched.store,
    redact: () => root.redact,
  });
  try {
    await kernel.start();
  } catch (error) {
    return `could not start ${where}: ${(error as Error).message}`;
  }
  const started = performance.now();
  const deadline = started + waitMs;
  const main = envelopes[envelopes.length - 1] as TestEnvelope;
  const ids = new Set(envelopes.map((e) => e.id));
  try {
    for (const envelope of envelopes) kernel.bus.publishEnvelope(envelope);
    // The output has taken the sample (recorded it in its outbox or chat record, or written it).
    const drained = await within(kernel.bus.drain(), deadline - performance.now());
    const failedHere = (): string | undefined => {
      for (const line of lines) {
        const entry = JSON.parse(line) as { level?: string; eventId?: string; msg?: string };
        if (entry.level === 'error' && entry.eventId !== undefined && ids.has(entry.eventId))
          return (entry.msg ?? 'failed').replace(/^\[[^\]]*\] /, '');
      }
      return undefined;
    };
    const thrown = failedHere();
    if (thrown !== undefined)
      return {
        delivered: false,
        answer: thrown,
        error: thrown,
        latencyMs: performance.now() - started,
        fix: `the output failed on the sample; see the message above and check ${where}`,
        records: [],
      };
    if (!drained) return timedOut(where, waitMs, started, []);

    const outbox = watched.store.collection<OutboxRecord>(COLLECTIONS.outbox);
    const log = watched.store.collection<DeliveryAttempt>(COLLECTIONS.deliveries);
    const messages = watched.store.collection<ChatMessageRecord>(COLLECTIONS.messages);
    const outboxId = `${name}/${main.id}`;
    const chatId = `${name}/${main.type.startsWith('whale.') ? TEST_TXID : main.id}`;
    const unhealthy = () => {
      const health = kernel.health.report().instances[name];
      return health?.state === 'unhealthy' ? (health.reason ?? 'unhealthy') : undefined;
    };

    if (outbox.has(outboxId)) {
      // Webhook, e-mail: the first attempt's entry in the delivery log is the outcome.
      const attempt = await watched.until(
        () => [...log.entries()].find(([, a]) => a.outboxId === outboxId)?.[1],
        deadline,
      );
      const rec = outbox.get(outboxId) as OutboxRecord;
      if (!attempt)
        return timedOut(where, waitMs, started, [[COLLECTIONS.outbox, outboxId, finalOutbox(rec, waitMs)]]);
      return outboxOutcome(instance, rec, attempt, [
        [COLLECTIONS.outbox, outboxId, finalOutbox(rec, waitMs)],
        ...[...log.entries()]
          .filter(([, a]) => a.outboxId === outboxId)
          .map(([id, a]): [string, string, unknown] => [COLLECTIONS.deliveries, id, a]),
      ]);
    }
    if (messages.has(chatId)) {
      // Telegram, Discord: every chat's copy posted (or given up), or the instance disabled.
      const settled = await watched.until(() => {
        const rec = messages.get(chatId);
        if (rec && Object.values(rec.targets).every((t) => isSettled(rec, t))) return rec;
        const reason = unhealthy();
        return reason !== undefined ? reason : undefined;
      }, deadline);
      const rec = messages.get(chatId) as ChatMessageRecord;
      const records: Outcome['records'] = [[COLLECTIONS.messages, chatId, finalChat(rec, waitMs)]];
      if (settled === undefined) return timedOut(where, waitMs, started, records);
      return chatOutcome(instance, rec, typeof settled === 'string' ? settled : null, started, records);
    }
    // An output that sends as it is called (console, a plugin of one's own): it has returned.
    return {
      delivered: true,
      answer: `written by ${where} (its deliver call returned without an error)`,
      latencyMs: performance.now() - started,
      records: [],
    };
  } finally {
    await kernel.stop();
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

function timedOut(where: string, waitMs: number, started: number, records: Outcome['records']): Outcome {
  return {
    delivered: false,
    answer: `no outcome within ${Math.round(waitMs / 1000)} s`,
    error: 'timed out',
    latencyMs: performance.now() - started,
    fix: `the destination of ${where} did not answer in time; check that it is reachable from here, or raise ${where}.timeout`,
    records,
  };
}

/** A chat's copy is settled: shows the record's latest version, or was given up. */
const isSettled = (rec: ChatMessageRecord, t: TargetState) =>
  (t.status === 'posted' && t.syncedVersion >= rec.version) || t.status === 'dead' || t.status === 'unknown';

/** The outbox record as kept: never pending (a running spout must not send a test again). */
function finalOutbox(rec: OutboxRecord, waitMs: number): OutboxRecord {
  if (rec.status !== 'pending') return { ...rec, test: true };
  return {
    ...rec,
    status: 'dead',
    nextAttemptAt: null,
    lastError: rec.lastError ?? `no outcome within ${Math.round(waitMs / 1000)} s (spout test)`,
    test: true,
  };
}

/** The chat record as kept: no copy left to post (a running spout must not post a test). */
function finalChat(rec: ChatMessageRecord, waitMs: number): ChatMessageRecord {
  const targets = Object.fromEntries(
    Object.entries(rec.targets).map(([chat, t]) => [
      chat,
      t.status === 'pending' || t.status === 'sending'
        ? {
            ...t,
            status: 'dead' as const,
            nextAttemptAt: null,
            lastError: t.lastError ?? `not posted within ${Math.round(waitMs / 1000)} s (spout test)`,
          }
        : t,
    ]),
  );
  return { ...rec, targets, test: true };
}

function outboxOutcome(
  instance: InstanceConfig,
  rec: OutboxRecord,
  attempt: DeliveryAttempt,
  records: Outcome['records'],
): Outcome {
  const where = `outputs.${instance.name}`;
  const delivered = attempt.outcome === 'delivered';
  const status = attempt.statusCode;
  if (instance.use === 'email') {
    let messageId = '';
    try {
      messageId = (JSON.parse(rec.body) as { messageId?: string }).messageId ?? '';
    } catch {
      // Not a stored mail: said without its Message-ID.
    }
    return {
      delivered,
      answer: delivered
        ? `accepted by the SMTP server${messageId ? ` (Message-ID ${messageId})` : ''}`
        : (attempt.error ?? 'failed'),
      latencyMs: attempt.latencyMs,
      ...(attempt.error !== undefined ? { error: attempt.error } : {}),
      ...(delivered
        ? {}
        : {
            fix: `check ${where}: smtp (server, port, user and password), starttls, from and to; the SMTP server's answer above says which`,
          }),
      records,
    };
  }
  const answer = status !== undefined ? `HTTP ${status}` : (attempt.error ?? 'failed');
  return {
    delivered,
    answer,
    latencyMs: attempt.latencyMs,
    ...(status !== undefined ? { statusCode: status } : {}),
    ...(attempt.error !== undefined ? { error: attempt.error } : {}),
    ...(delivered ? {} : { fix: webhookFix(where, status, attempt.error) }),
    records,
  };
}

/** What to do about a failed webhook attempt. */
function webhookFix(where: string, status: number | undefined, error: string | undefined): string {
  if (status === undefined) {
    if (/timed out/.test(error ?? ''))
      return `the receiver did not answer within ${where}.timeout; make it answer first and work afterwards, or raise ${where}.timeout`;
    return `nothing answered at ${where}.url (${error ?? 'no response'}); check the URL and that the receiver runs and is reachable from this machine`;
  }
  if (status === 401 || status === 403)
    return `the receiver refused the request: check that it verifies with the secret in ${where}.secret (any one of them while rotating), over the raw body, and that its clock is right (a timestamp more than 5 minutes off is refused)`;
  if (status === 404 || status === 405)
    return `the receiver has no such endpoint: check the path in ${where}.url`;
  if (status === 410)
    return `the receiver answered 410 Gone: a running spout disables the endpoint on it; fix ${where}.url and reload`;
  if (status >= 300 && status < 400)
    return `redirects are not followed: set ${where}.url to the address the receiver redirects to`;
  if (status === 408 || status === 429 || status >= 500)
    return `the receiver failed (HTTP ${status}): look at its logs; a running spout would retry on ${where}.retry`;
  return `the receiver refused the request (HTTP ${status}): look at its logs and at what it expects`;
}

function chatOutcome(
  instance: InstanceConfig,
  rec: ChatMessageRecord,
  disabled: string | null,
  started: number,
  records: Outcome['records'],
): Outcome {
  const where = `outputs.${instance.name}`;
  const platform = instance.use === 'telegram' ? 'Telegram' : 'Discord';
  const latencyMs = performance.now() - started;
  const targets = Object.entries(rec.targets);
  const failed = targets.filter(([, t]) => t.status !== 'posted');
  const delivered = disabled === null && failed.length === 0;
  const say = ([chat, t]: [string, TargetState]) =>
    t.status === 'posted'
      ? `posted to ${chatName(chat)} as message ${t.messageId}`
      : `${t.status === 'unknown' ? 'may not have arrived at' : 'not posted to'} ${chatName(chat)}: ${t.lastError ?? disabled ?? t.status}`;
  // Disabled before anything was posted (a rejected token or a deleted webhook): its reason says it all.
  const answer =
    disabled !== null && failed.length > 0 && failed.every(([, t]) => t.status === 'pending')
      ? `${platform}: ${disabled}`
      : targets.map(say).join('; ');
  if (delivered) return { delivered, answer, latencyMs, records };
  const why = disabled ?? failed.map(([, t]) => t.lastError ?? t.status).join('; ');
  return { delivered, answer, latencyMs, error: why, fix: chatFix(where, instance.use, why), records };
}

/** A chat as the record keys it: a Telegram chat, a Discord channel, or Discord's `webhook`. */
const chatName = (chat: string) => (chat === 'webhook' ? 'the webhook' : `chat ${chat}`);

function chatFix(where: string, use: string, why: string): string {
  if (/unauthori[sz]ed|401|invalid token|token/i.test(why))
    return use === 'telegram'
      ? `Telegram rejected the bot token: check ${where}.token (from @BotFather)`
      : `Discord rejected the credentials: check ${where}.webhookUrl (or the bot token)`;
  if (/not found|404|unknown (webhook|channel)|10015|10003/i.test(why))
    return use === 'telegram'
      ? `check ${where}.chat: the chat id or @channel name, and that the bot is a member of it`
      : `the webhook or channel does not exist: check ${where}.webhookUrl (or channel)`;
  if (/forbidden|403|rights|permission|not enough/i.test(why))
    return `the ${use === 'telegram' ? 'bot' : 'bot or webhook'} may not post there: give it the right to post (an admin of a channel)`;
  if (/too many requests|429|rate/i.test(why))
    return 'the platform rate-limited the request; try again in a minute';
  return `check ${where} (token, chat or webhook URL) and that the API is reachable from this machine`;
}

/** Number of signing secrets of a webhook instance. */
function secretsOf(instance: InstanceConfig): number {
  const secret = instance.options.secret;
  return Array.isArray(secret) ? secret.length : 1;
}

/** The instance's `timeout` option in ms (30 s when it has none). */
function timeoutOf(instance: InstanceConfig): number {
  try {
    const t = instance.options.timeout;
    return typeof t === 'string' || typeof t === 'number' ? parseDuration(t) : 30_000;
  } catch {
    return 30_000;
  }
}

/**
 * Keep the test delivery's records in the store file, unless a running `spout run` owns it
 * (lowdb is single-process: what another process writes is lost at its next flush).
 */
async function record(
  path: string,
  records: Outcome['records'],
): Promise<{ in: string; why?: undefined } | { in: null; why: string }> {
  const pid = pidFile(path);
  if (processAlive(pid)) {
    let owner = '';
    try {
      owner = ` (pid ${readFileSync(pid, 'utf8').trim()})`;
    } catch {
      // Gone since: named without its pid.
    }
    return {
      in: null,
      why: `a running spout run${owner} owns ${path}, and only it may write there; the test itself was made all the same`,
    };
  }
  try {
    const store = await openLowdbStore({ path });
    try {
      for (const [collection, id, doc] of records) store.collection(collection).put(id, doc);
    } finally {
      await store.close();
    }
    return { in: path };
  } catch (error) {
    return { in: null, why: `could not write ${path}: ${(error as Error).message.split('\n')[0]}` };
  }
}

/**
 * A memory store that says when it changes, and a wait on it: `until(check, deadline)` resolves
 * with `check()`'s first defined value (checked at once, on every change and every 100 ms, for
 * what is not in the store, like the instance's health), or undefined at `deadline`
 * (`performance.now()` time).
 */
function watchedMemoryStore(): {
  store: Store;
  until<T>(check: () => T | undefined, deadline: number): Promise<T | undefined>;
} {
  const base = createMemoryStore();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  const store: Store = {
    ...base,
    collection<T>(collectionName: string): Collection<T> {
      const inner = base.collection<T>(collectionName);
      return {
        get: (id) => inner.get(id),
        has: (id) => inner.has(id),
        put(id, doc) {
          inner.put(id, doc);
          changed();
        },
        delete(id) {
          const deleted = inner.delete(id);
          if (deleted) changed();
          return deleted;
        },
        entries: () => inner.entries(),
        get size() {
          return inner.size;
        },
      };
    },
  };
  return {
    store,
    until(check, deadline) {
      const first = check();
      if (first !== undefined) return Promise.resolve(first);
      return new Promise((resolve) => {
        const finish = (value: ReturnType<typeof check>) => {
          clearTimeout(timer);
          clearInterval(tick);
          listeners.delete(poke);
          resolve(value);
        };
        // Checked after the change is complete (a put is followed by others in the same turn).
        const poke = () =>
          queueMicrotask(() => {
            const value = check();
            if (value !== undefined) finish(value);
          });
        listeners.add(poke);
        const tick = setInterval(poke, 100);
        const timer = setTimeout(() => finish(undefined), Math.max(0, deadline - performance.now()));
      });
    },
  };
}

/** The configured name closest to `name` (a typo of it), or null when none is close. */
export function closest(name: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of names) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) ((best = candidate), (bestDistance = d));
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== null && (bestDistance <= limit || best.toLowerCase().includes(name.toLowerCase()))
    ? best
    : null;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = row;
  }
  return previous[b.length] as number;
}
