import { setImmediate } from 'node:timers';
import type { Logger } from 'pino';
import type { AnyEnvelope } from '../../bus/envelope.js';
import type { Store } from '../../store/port.js';
import { COLLECTIONS } from '../../store/records.js';
import { createAbortScope, type AbortScope } from '../abort-scope.js';
import { createDueQueue } from '../due-queue.js';
import type { DeliveryAttempt, OutboxRecord } from './record.js';
import type { Observer } from './observe.js';
import { classify, plan, type AttemptResult, type Plan, type SendResult, type Verdict } from './policy.js';
import { attemptId, createRecord, delivered, failed, logEntry, place } from './record.js';

/** How soon an attempt is tried again when the store could not say whether this process may act. */
const FENCE_RETRY_MS = 1000;

/** What the outbox keys and renders: a bus envelope, or an item shaped like one (a digest mail). */
export interface Deliverable {
  id: string;
  type: string;
}

export interface WorkerDeps<E extends Deliverable = AnyEnvelope> {
  instance: string;
  /** The kind of records this worker owns (`OutboxRecord.channel`). */
  channel: OutboxRecord['channel'];
  store: Store;
  log: Logger;
  /** Aborted when the instance stops: in-flight requests are aborted, nothing new starts. */
  signal: AbortSignal;
  concurrency: number;
  scheduleMs: readonly number[];
  /**
   * Make one attempt at delivering the record's body (started at `at`). Never throws. `signal` is
   * the attempt's own, aborted when `deps.signal` is (see abort-scope.ts).
   */
  send(record: OutboxRecord, at: Date, signal: AbortSignal): Promise<SendResult>;
  /** What a result means; HTTP semantics ({@link classify}) by default. */
  classify?: (result: AttemptResult) => Verdict;
  /** The body stored for an envelope and sent on every attempt; its JSON by default. */
  render?: (envelope: E) => string;
  observer: Observer;
  random?: () => number;
}

export interface OutboxWorker<E extends Deliverable = AnyEnvelope> {
  /**
   * Record an envelope and wake the worker. The record is on disk before its first attempt,
   * written by the next group commit with every record recorded meanwhile (one shared write,
   * not one per event): this resolves once it is recorded, without waiting for that write nor
   * for HTTP; a stop writes what is pending. An event already in the outbox (re-delivered after a restart) is ignored; another
   * event with the id of one in the outbox is recorded apart, under an id of its own, and
   * reported (see `place`).
   */
  enqueue(envelope: E): Promise<void>;
  /** Begin attempting: this instance's pending records, resumed from the store, first. */
  start(): void;
  /**
   * Pick up records made pending in the store by someone else (`spout deliveries retry`, applied
   * by the running process); a retried delivery re-enables an endpoint disabled by 410.
   * Returns how many were found.
   */
  rescan(): number;
  /** No new attempts; wait for the aborted in-flight ones to settle; flush the store. */
  stop(): Promise<void>;
  /** Pending records (in flight included) and requests in flight. */
  depth(): { pending: number; inFlight: number };
}

/**
 * One attempt through `send`, under a signal of its own from `calls`. A send that throws (a
 * record it cannot render, a bug in a channel) is a failed attempt like any other: it follows
 * the schedule to the dead letters instead of being re-run at once, for ever, by the pump.
 * Never throws.
 */
export function sendOnce(
  send: WorkerDeps<Deliverable>['send'],
  record: OutboxRecord,
  at: Date,
  calls: AbortScope,
): Promise<SendResult> {
  const call = calls.open();
  return send(record, at, call.signal)
    .catch((error: unknown): SendResult => ({
      error: `could not send: ${(error as Error)?.message ?? String(error)}`,
      latencyMs: Date.now() - at.getTime(),
    }))
    .finally(call.release);
}

/**
 * The durable outbox of one output instance (webhook or e-mail). One timer, for the earliest due record; at most
 * `concurrency` requests in flight; every state change is flushed to the store before the next
 * decision depends on it. A request aborted by shutdown is not an attempt: its record stays
 * pending with the same count and is retried on the next start.
 */
export function createOutboxWorker<E extends Deliverable = AnyEnvelope>(
  deps: WorkerDeps<E>,
): OutboxWorker<E> {
  const { instance, log, observer } = deps;
  const outbox = deps.store.collection<OutboxRecord>(COLLECTIONS.outbox);
  const attemptsLog = deps.store.collection<DeliveryAttempt>(COLLECTIONS.deliveries);
  const random = deps.random ?? Math.random;
  const calls = createAbortScope(deps.signal);
  /** Pending record ids by due time. Records in flight stay queued until they are settled. */
  const queue = createDueQueue({
    concurrency: deps.concurrency,
    run: (id) => attempt(id),
    onError: (error, id) => log.error({ err: error, id }, `${deps.channel} attempt failed: ${String(error)}`),
  });
  /** Records being written by `enqueue`: not attempted (nor found by a rescan) before they are on disk. */
  const recording = new Set<string>();
  let started = false;
  let stopped = false;
  let disabled = false;

  const dueOf = (r: OutboxRecord) => (r.nextAttemptAt ? Date.parse(r.nextAttemptAt) || 0 : 0);
  const scan = (): number => {
    let found = 0;
    for (const [id, r] of outbox.entries())
      if (r.instance === instance && r.channel === deps.channel && r.status === 'pending')
        if (!queue.has(id) && !queue.running(id) && !recording.has(id)) (queue.set(id, dueOf(r)), found++);
    observer.depth(queue.size());
    return found;
  };
  scan();

  const flush = async () => {
    try {
      await deps.store.flush();
    } catch (error) {
      log.error({ err: error }, `could not write the outbox: ${(error as Error).message}`);
    }
  };
  /**
   * The write after an attempt, shared by every attempt settled in the same turn of the event
   * loop (the responses read in one poll of the sockets) and made at its end: their slots are
   * freed together, and the next requests start together. Measured in the webhook benchmark at
   * concurrency 16: 0.6 of plain got's rate with one write per attempt, 0.8 to 1.0 with this. The
   * first attempt's record is written at once instead (see `enqueue`): a whale's alert does not
   * wait for the turn to end. node:timers' own setImmediate: a test's fake clock holds back
   * timers, not the store's I/O.
   */
  let settledWrite: Promise<void> | null = null;
  const flushSettled = (): Promise<void> =>
    (settledWrite ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      settledWrite = null;
      return flush();
    }));
  /**
   * False (logged) when another instance leads now — the record stays pending for it — or when
   * that cannot be known (the store unreachable): then it is tried again shortly.
   */
  const mayAct = async (id: string): Promise<boolean> => {
    try {
      await deps.store.fence();
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'SPOUT_STORE_FENCED') queue.delete(id);
      else queue.set(id, Date.now() + FENCE_RETRY_MS);
      log.warn({ id }, `not attempted: ${(error as Error).message}`);
      return false;
    }
  };
  /** Disable the endpoint: every pending record not in flight becomes `disabled`. */
  const disableAll = (now: Date): number => {
    disabled = true;
    let n = 0;
    for (const id of queue.clear()) {
      const r = outbox.get(id);
      if (queue.running(id) || r?.status !== 'pending') continue;
      outbox.put(id, { ...r, status: 'disabled', nextAttemptAt: null, updatedAt: now.toISOString() });
      n++;
    }
    return n;
  };

  const attempt = async (id: string): Promise<void> => {
    const record = outbox.get(id);
    if (!record || record.status !== 'pending' || disabled) {
      queue.delete(id);
      observer.depth(queue.size());
      return;
    }
    if (!(await mayAct(id))) return;
    const at = new Date();
    const result = await sendOnce(deps.send, record, at, calls);
    if (result.aborted) return;
    const now = new Date();
    const n = record.attempts + 1;
    const current = outbox.get(id) ?? record;
    let decision: Plan = plan(result, n, deps.scheduleMs, now.getTime(), random, deps.classify);
    if (disabled && decision.outcome !== 'delivered') decision = { outcome: 'disabled' };
    const why = result.statusCode !== undefined ? `HTTP ${result.statusCode}` : (result.error ?? 'failed');
    const details = { eventId: record.eventId, attempt: n, status: result.statusCode, error: result.error };
    observer.attempt(result.latencyMs);

    let next: Date | null = null;
    switch (decision.outcome) {
      case 'delivered':
        outbox.put(id, delivered(current, n, now, result.statusCode));
        queue.delete(id);
        observer.succeeded({ ...details, latencyMs: result.latencyMs });
        break;
      case 'retry':
        next = new Date(now.getTime() + decision.delayMs);
        outbox.put(id, failed(current, n, now, 'pending', result, next));
        queue.set(id, next.getTime());
        observer.failed(why, details, next, decision.delayMs);
        break;
      case 'dead':
        outbox.put(id, failed(current, n, now, 'dead', result, null));
        queue.delete(id);
        observer.failed(why, details, null, 0);
        break;
      case 'disabled':
        outbox.put(id, failed(current, n, now, 'disabled', result, null));
        queue.delete(id);
        if (!disabled) {
          const others = disableAll(now);
          observer.outcome('disabled', others);
          observer.gone({ ...details, disabledRecords: others + 1 });
        }
        break;
    }
    // The log keeps every attempt: after a requeue (attempts back to 0) numbering goes on.
    let ordinal = n;
    while (attemptsLog.has(attemptId(id, ordinal))) ordinal++;
    attemptsLog.put(attemptId(id, ordinal), logEntry(current, ordinal, at, result, decision.outcome, next));
    observer.outcome(decision.outcome);
    observer.depth(queue.size());
    await flushSettled();
  };

  return {
    async enqueue(given) {
      // One record per event: a replay of it is ignored; another event under its id is not.
      const placed = place(instance, given, (key) => outbox.get(key));
      if (placed.kind === 'replay') return;
      if (placed.kind === 'collision') observer.collision(given, placed.existing, placed.envelope.id);
      const { id, envelope, fingerprint } = placed;
      const record = createRecord(
        instance,
        envelope,
        new Date(),
        disabled ? 'disabled' : 'pending',
        deps.channel,
        deps.render,
        fingerprint,
      );
      outbox.put(id, record);
      if (disabled) {
        observer.outcome('disabled');
        log.debug({ eventId: envelope.id }, 'endpoint disabled (410): delivery recorded as disabled');
        return flush();
      }
      recording.add(id);
      // On disk before the first attempt: a crash from then on loses nothing. (A failed write is
      // logged by `flush`; the record is attempted anyway and written by a later flush.)
      void flush().finally(() => {
        recording.delete(id);
        queue.set(id, dueOf(record));
        observer.depth(queue.size());
        queue.pump();
      });
    },
    start() {
      started = true;
      // Aborted: in-flight requests are aborted by the signal itself, and nothing new starts.
      if (deps.signal.aborted) queue.stop();
      else deps.signal.addEventListener('abort', () => queue.stop(), { once: true });
      const size = queue.size();
      if (size > 0) log.info({ pending: size }, `resuming ${size} pending ${deps.channel} deliveries`);
      queue.start();
    },
    rescan() {
      if (!started || stopped) return 0;
      const found = scan();
      if (found === 0) return 0;
      log.info({ found }, `${found} delivery(ies) queued again by a retry request`);
      if (disabled) {
        disabled = false;
        observer.reenabled();
      }
      queue.pump();
      return found;
    },
    async stop() {
      stopped = true;
      queue.stop();
      await queue.flush();
      await flush();
    },
    depth: () => ({ pending: queue.size(), inFlight: queue.inFlight() }),
  };
}
