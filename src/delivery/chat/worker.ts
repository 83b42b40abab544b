import type { Logger } from 'pino';
import type { AnyEnvelope } from '../../bus/envelope.js';
import type { Store } from '../../store/port.js';
import { COLLECTIONS } from '../../store/records.js';
import { createAbortScope } from '../abort-scope.js';
import type { ChatFailure } from './failure.js';
import type { ChatObserver } from './observe.js';
import type { ChatJob, ChatRunResult, ChatSchedule } from './schedule.js';
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
  /** Where posts and edits wait until due, paced (in process, or a deployment's queues). */
  schedule: ChatSchedule;
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
 * is not posted, edits what is out of date, one call at a time per chat, paced by its schedule;
 * failures retried on the schedule. A post is marked `sending` on disk before the request, so a
 * crash mid-post leaves a record that is never posted again: at most once, never twice. The
 * store is this worker's alone (the leader's, with `engine: redis`): the schedule only says when.
 */
export function createChatWorker<C>(deps: ChatWorkerDeps<C>): ChatWorker {
  const { instance, log, observer, transport, schedule } = deps;
  const messages = deps.store.collection<ChatMessageRecord>(COLLECTIONS.messages);
  const random = deps.random ?? Math.random;
  const chats = new Set(deps.chats);
  let disabled = false;
  const abort = new AbortController();
  const calls = createAbortScope(abort.signal);

  const dueOf = (t: TargetState) => (t.nextAttemptAt ? Date.parse(t.nextAttemptAt) || 0 : 0);
  /** Make due what a record needs; how many chats it needs syncing on. */
  const enqueue = async (record: ChatMessageRecord): Promise<number> => {
    let due = 0;
    for (const [chat, target] of Object.entries(record.targets)) {
      if (!chats.has(chat) || !needsSync(record, target)) continue;
      due++;
      await schedule
        .due({ recordId: record.id, chat, version: record.version }, dueOf(target))
        .catch((error: unknown) =>
          log.warn(
            { err: error, key: record.key, chat },
            `chat post not queued: ${(error as Error).message}`,
          ),
        );
    }
    observer.pending(schedule.size());
    return due;
  };
  /** Make due again whatever the store holds out of step (start; Redis back after an outage). */
  const enqueueAll = async () => {
    let due = 0;
    for (const [, record] of [...messages.entries()])
      if (record.instance === instance) due += await enqueue(record);
    return due;
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
  /** When the record needs this chat synced again (its newest copy), or null. */
  const nextDue = (recordId: string, chat: string): number | null => {
    const latest = messages.get(recordId);
    const t = latest?.targets[chat];
    return latest && t && needsSync(latest, t) ? dueOf(t) : null;
  };

  const attempt = async ({ recordId, chat }: ChatJob): Promise<ChatRunResult> => {
    const idle = (next: number | null = null): ChatRunResult => ({ called: false, next });
    // First, whatever the record says: a store that is no longer the deployment's (another
    // instance leads) may hold an old copy, and what it calls "done" may not be.
    try {
      await deps.store.fence();
    } catch (error) {
      log.warn({ recordId, chat }, `not sent: ${(error as Error).message}`);
      // Fenced: the new leader has it. Unknown (the store unreachable): try again shortly.
      if ((error as { code?: string }).code === 'SPOUT_STORE_FENCED')
        return { called: false, next: null, yielded: true };
      return idle(Date.now() + 1000);
    }
    const record = messages.get(recordId);
    const target = record?.targets[chat];
    if (!record || !target || !needsSync(record, target)) return idle();
    // A retry's time stands, whichever job of the record comes first.
    if (dueOf(target) > Date.now()) return idle(dueOf(target));
    const version = record.version;
    const content = deps.render(record);
    const action = target.status === 'pending' ? 'post' : 'edit';
    if (action === 'post') {
      update(recordId, chat, (t) => ({ ...t, status: 'sending' }));
      // On disk before the request: after a crash from here on, this message is never re-posted.
      if (!(await flush())) {
        // Not on disk: posting now could post twice after a crash. Try again later.
        const next = new Date(Date.now() + (deps.scheduleMs[0] ?? 5000));
        update(recordId, chat, (t) => ({ ...t, status: 'pending', nextAttemptAt: next.toISOString() }));
        return idle(next.getTime());
      }
    }
    let failure: ChatFailure | null = null;
    let posted: string | null = null;
    // One signal per call, so libraries that leave a listener on it do not pile them up.
    const call = calls.open();
    try {
      if (action === 'post') posted = await transport.post(chat, content, call.signal);
      else await transport.edit(chat, target.messageId ?? '', content, call.signal);
    } catch (error) {
      failure = transport.classify(error);
    } finally {
      call.release();
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
    await flush();
    done?.();
    return { called: true, next: nextDue(recordId, chat) };
  };

  const disable = (reason: string) => {
    if (disabled) return;
    disabled = true;
    schedule.halt();
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
      await enqueue(next);
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
      }
      void flush();
      schedule.start({
        run: attempt,
        resync: () => void enqueueAll(),
        depth: (n) => observer.pending(n),
      });
      void enqueueAll().then((due) => {
        if (due > 0) log.info({ pending: due }, `resuming ${due} chat post(s)/edit(s)`);
      });
    },
    disable,
    async stop() {
      await schedule.stop(STOP_GRACE_MS, () => abort.abort());
      await flush();
    },
    pending: () => schedule.size(),
  };
}
