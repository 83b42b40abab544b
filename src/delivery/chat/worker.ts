import type { Logger } from 'pino';
import type { AnyEnvelope } from '../../bus/envelope.js';
import type { Store } from '../../store/port.js';
import { COLLECTIONS } from '../../store/records.js';
import { createDueQueue } from '../due-queue.js';
import type { ChatFailure } from './failure.js';
import type { ChatObserver } from './observe.js';
import { settle } from './settle.js';
import {
  applyEnvelope,
  keyOf,
  messageId,
  needsSync,
  type ChatMessageRecord,
  type TargetState,
} from './record.js';
import type { ChatTransport } from './transport.js';

/** On stop, a call in flight gets this long to finish before it is aborted. */
const STOP_GRACE_MS = 3000;

export interface ChatWorkerDeps<C> {
  instance: string;
  /** The configured chats (ids, `@channel` names, or one webhook). */
  chats: readonly string[];
  store: Store;
  log: Logger;
  transport: ChatTransport<C>;
  /** The message for a record in its current state. */
  render(record: ChatMessageRecord): C;
  /** Delays before each retry of a failed post or edit; then it is given up. */
  scheduleMs: readonly number[];
  /** Least time between two calls to one chat, and between any two calls. */
  pacing: { perChatMs: number; globalMs: number };
  observer: ChatObserver;
  random?: () => number;
}

export interface ChatWorker {
  /**
   * Record what an envelope changes (on disk before this resolves) and schedule the posts or
   * edits it makes due. A repeated envelope changes nothing and sends nothing.
   */
  record(envelope: AnyEnvelope): Promise<void>;
  /** Begin sending: what the store holds for this instance first. */
  start(): void;
  /** Stop sending until the instance is reloaded; what arrives is still recorded. */
  disable(reason: string): void;
  /** Let a call in flight finish (at most 3 s, then abort it), flush the store. */
  stop(): Promise<void>;
  /** Posts and edits waiting. */
  pending(): number;
}

/**
 * Keeps every chat's message in step with its record in the `messages` collection: posts what
 * is not posted, edits what is out of date. One call at a time per instance, paced per chat
 * and globally; failures retried on the schedule. A post is marked `sending` on disk before
 * the request, so a crash mid-post leaves a record that is never posted again: at most once,
 * never twice.
 */
export function createChatWorker<C>(deps: ChatWorkerDeps<C>): ChatWorker {
  const { instance, log, observer, transport } = deps;
  const messages = deps.store.collection<ChatMessageRecord>(COLLECTIONS.messages);
  const random = deps.random ?? Math.random;
  const chats = new Set(deps.chats);
  const chatFree = new Map<string, number>();
  let globalFree = 0;
  let disabled = false;
  const abort = new AbortController();

  const itemOf = (recordId: string, chat: string) => `${recordId}\n${chat}`;
  const split = (item: string) => {
    const i = item.lastIndexOf('\n');
    return { recordId: item.slice(0, i), chat: item.slice(i + 1) };
  };
  /** Items are `${recordId}\n${chat}`; one call at a time, each chat and all of them paced. */
  const queue = createDueQueue({
    concurrency: 1,
    run: (item) => attempt(item),
    onError: (error) => log.error({ err: error }, `chat sync failed: ${String(error)}`),
    readyAt: (item, due) => Math.max(due, chatFree.get(split(item).chat) ?? 0, globalFree),
    onSettled: () => observer.pending(queue.size()),
  });
  const dueOf = (t: TargetState) => (t.nextAttemptAt ? Date.parse(t.nextAttemptAt) || 0 : 0);
  const enqueue = (record: ChatMessageRecord) => {
    for (const [chat, target] of Object.entries(record.targets))
      if (chats.has(chat) && needsSync(record, target)) queue.set(itemOf(record.id, chat), dueOf(target));
    observer.pending(queue.size());
  };
  /** Write the store; false (logged) when it failed. */
  const flush = async (): Promise<boolean> => {
    try {
      await deps.store.flush();
      return true;
    } catch (error) {
      log.error({ err: error }, `could not write chat message state: ${(error as Error).message}`);
      return false;
    }
  };
  /** Write one target of the newest copy of a record (it may have changed during a call). */
  const update = (recordId: string, chat: string, change: (t: TargetState) => TargetState) => {
    const current = messages.get(recordId);
    const target = current?.targets[chat];
    if (!current || !target) return undefined;
    const next = {
      ...current,
      targets: { ...current.targets, [chat]: change(target) },
      updatedAt: new Date().toISOString(),
    };
    messages.put(recordId, next);
    return next;
  };

  const attempt = async (item: string): Promise<void> => {
    queue.delete(item);
    const { recordId, chat } = split(item);
    const record = messages.get(recordId);
    const target = record?.targets[chat];
    if (!record || !target || !needsSync(record, target)) return;
    const version = record.version;
    const content = deps.render(record);
    const action = target.status === 'pending' ? 'post' : 'edit';
    try {
      await deps.store.fence();
    } catch (error) {
      // Another instance leads now: the record is its to post or edit, as the store has it
      // (checked before `sending` is written: a record marked so is never posted again).
      log.warn({ key: record.key, chat, action }, `not sent: ${(error as Error).message}`);
      // Unknown (the store unreachable): try again shortly; fenced: the new leader has it.
      if ((error as { code?: string }).code !== 'SPOUT_STORE_FENCED') queue.set(item, Date.now() + 1000);
      return;
    }
    if (action === 'post') {
      update(recordId, chat, (t) => ({ ...t, status: 'sending' }));
      // On disk before the request: after a crash from here on, this message is never re-posted.
      if (!(await flush())) {
        // Not on disk: posting now could post twice after a crash. Try again later.
        const next = new Date(Date.now() + (deps.scheduleMs[0] ?? 5000));
        update(recordId, chat, (t) => ({ ...t, status: 'pending', nextAttemptAt: next.toISOString() }));
        queue.set(item, next.getTime());
        return;
      }
    }
    let failure: ChatFailure | null = null;
    let posted: string | null = null;
    // One signal per call, so libraries that leave a listener on it do not pile them up.
    const call = new AbortController();
    const onAbort = () => call.abort();
    abort.signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (action === 'post') posted = await transport.post(chat, content, call.signal);
      else await transport.edit(chat, target.messageId ?? '', content, call.signal);
    } catch (error) {
      failure = transport.classify(error);
    } finally {
      abort.signal.removeEventListener('abort', onAbort);
      chatFree.set(chat, Date.now() + deps.pacing.perChatMs);
      globalFree = Date.now() + deps.pacing.globalMs;
    }
    const now = new Date();
    const aborted = abort.signal.aborted;
    const details = { key: record.key, chat, action, version };
    // Logged once the outcome is on disk, so the line means "recorded", not only "sent".
    let done: (() => void) | null = null;

    if (!failure || failure.kind === 'not-modified') {
      update(recordId, chat, (t) => {
        const { lastError: _e, ...rest } = t;
        return {
          ...rest,
          status: 'posted',
          messageId: posted ?? t.messageId,
          syncedVersion: version,
          attempts: 0,
          nextAttemptAt: null,
        };
      });
      observer.result(action, 'ok');
      observer.ok();
      done = () => log.debug({ ...details, messageId: posted ?? target.messageId }, `chat ${action} done`);
    } else if (aborted && failure.kind !== 'ambiguous') {
      // Stopping, and the platform did not take it: the same attempt is made on the next start.
      update(recordId, chat, (t) => ({ ...t, status: action === 'post' ? 'pending' : t.status }));
    } else {
      const attempts = messages.get(recordId)?.targets[chat]?.attempts ?? 0;
      const s = settle(failure, action, version, attempts, deps.scheduleMs, now, random);
      update(recordId, chat, s.target);
      observer.result(action, s.outcome);
      if (s.degraded) observer.degraded(s.degraded);
      if (s.log) log[s.log.level]({ ...details, ...s.log.fields }, s.log.message);
      if (s.disable) disable(s.disable);
    }
    const latest = messages.get(recordId);
    const t = latest?.targets[chat];
    if (latest && t && needsSync(latest, t) && !queue.has(item)) queue.set(item, dueOf(t));
    await flush();
    done?.();
  };

  const disable = (reason: string) => {
    if (disabled) return;
    disabled = true;
    queue.stop();
    observer.unhealthy(reason);
    log.error(
      `${reason}; nothing is sent until the configuration is fixed and reloaded (alerts are kept and sent then)`,
    );
  };

  return {
    async record(envelope) {
      const id = messageId(instance, keyOf(envelope));
      const next = applyEnvelope(messages.get(id), envelope, instance, [...chats], new Date());
      if (!next) return;
      messages.put(id, next);
      await flush();
      enqueue(next);
      queue.pump();
    },
    start() {
      for (const [id, record] of messages.entries()) {
        if (record.instance !== instance) continue;
        for (const [chat, target] of Object.entries(record.targets)) {
          if (target.status !== 'sending') continue;
          update(id, chat, (t) => ({ ...t, status: 'unknown', nextAttemptAt: null }));
          log.warn(
            { key: record.key, chat },
            'a post was cut off by a crash or stop; it may or may not have arrived, and is not posted again so it cannot appear twice',
          );
        }
        enqueue(messages.get(id) ?? record);
      }
      const size = queue.size();
      if (size > 0) log.info({ pending: size }, `resuming ${size} chat post(s)/edit(s)`);
      void flush();
      queue.start();
    },
    disable,
    async stop() {
      queue.stop();
      const settled = queue.flush();
      if (queue.inFlight() > 0) {
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([settled, new Promise((r) => (grace = setTimeout(r, STOP_GRACE_MS)))]);
        clearTimeout(grace);
      }
      abort.abort();
      await settled;
      await flush();
    },
    pending: () => queue.size(),
  };
}
