import { performance } from 'node:perf_hooks';
import type { InstanceConfig, SpoutConfig } from '../../config/types.js';
import type { ChatMessageRecord } from '../../delivery/chat/record.js';
import type { DeliveryAttempt, OutboxRecord } from '../../delivery/outbox/record.js';
import { createKernel } from '../../kernel/kernel.js';
import { createLogger } from '../../log/logger.js';
import { COLLECTIONS } from '../../store/records.js';
import { TEST_TXID, type TestEnvelope } from '../test-sample.js';
import { chatOutcome, finalChat, isSettled } from './chat.js';
import { type Outcome, type TestRecords, timedOut } from './outcome.js';
import { finalOutbox, outboxOutcome } from './outbox.js';
import { watchedMemoryStore } from './watched-store.js';

/** Built-in outputs with a `retry` option: a test makes one attempt. */
const RETRYING = new Set(['webhook', 'email', 'telegram', 'discord']);

/**
 * Run `instance` alone through the kernel on a memory store, publish the envelopes and wait for
 * the outcome of the last one. Returns a problem that kept it from being tried at all.
 */
export async function send(
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
      const records: TestRecords = [[COLLECTIONS.messages, chatId, finalChat(rec, waitMs)]];
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
