import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createError } from '../kernel/errors.js';
import { reconnectDelay } from './connect.js';
import { createChatQueue } from './chat-queue.js';
import { createDeliveryAdmin } from './delivery-admin.js';
import { createHeld } from './held.js';
import { deliveryQueueName, disabledKey, queuePrefix } from './queue-keys.js';
import { createAbortScope } from '../delivery/abort-scope.js';
import type { ChatQueueOptions, ChatSchedule } from '../delivery/chat/schedule.js';
import { sendOnce, type Deliverable, type OutboxWorker, type WorkerDeps } from '../delivery/outbox/worker.js';
import { plan, type Plan } from '../delivery/outbox/policy.js';
import {
  attemptId,
  createRecord,
  placeWith,
  delivered,
  failed,
  logEntry,
  type DeliveryAttempt,
  type OutboxRecord,
} from '../delivery/outbox/record.js';

/**
 * What an output gives to have its deliveries made (the kernel adds instance, store, log,
 * signal). The store is asked `fence()` before each delivery is queued: a leader that lost its
 * lease queues nothing.
 */
export type QueueWorkerDeps<E extends Deliverable> = WorkerDeps<E>;

/**
 * Deliveries as shared work of a deployment (`engine: redis`): each webhook or e-mail delivery is
 * a BullMQ job whose id is its outbox record id (`instance/eventId`: a second publish of one event
 * is the same job), processed by every instance (competing consumers).
 */
export interface DeliveryQueues {
  /** The outbox of one output instance on its queue: the same contract as the embedded outbox. */
  worker<E extends Deliverable>(deps: QueueWorkerDeps<E>): OutboxWorker<E>;
  /** The queues of a chat output instance's posts and edits (worked by the leader only). */
  chat(instance: string, options: ChatQueueOptions): ChatSchedule;
  /** Delete deliveries finished before `cutoff` (epoch ms) from this process's outputs' queues. */
  prune(cutoff: number): Promise<number>;
  /** Close the shared connection, once every worker has stopped. */
  close(): Promise<void>;
}

/** How often a worker reports its queue's depth, at most. */
const DEPTH_EVERY_MS = 1000;

/** How long a delivery's record is kept once delivered (as the embedded outbox's retention). */
const KEEP_DELIVERED = { age: 7 * 24 * 3600, count: 50_000 };

const unqueued = (deployment: string, n: number) =>
  createError(
    'SPOUT_ENGINE_UNREACHABLE',
    `Redis stayed unreachable until this instance stopped: ${n} delivery(ies) kept meanwhile were not queued (deployment "${deployment}"). The instance that leads next recovers whales still in the mempool; check Redis (\`redis-cli -u URL ping\`).`,
  );

/** A connection for BullMQ (its workers block, and want commands to wait for a reconnection). */
export function queueConnection(url: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: reconnectDelay,
  });
  redis.on('error', () => {}); // told by the engine's main connection
  return redis;
}

/**
 * Delivery queues on `url` for `deployment`. A job in flight on an instance that dies is taken
 * up again by another after `lockMs` (BullMQ's stalled-job check). Attempts follow the output's
 * schedule with jitter and `Retry-After` (the embedded outbox's policy, {@link plan}); a
 * retry is a delayed job, so whichever instance is free makes it.
 */
export function createDeliveryQueues(options: {
  url: string;
  deployment: string;
  lockMs: number;
  log: Logger;
}): DeliveryQueues {
  const { deployment } = options;
  const connection = queueConnection(options.url);
  const prefix = queuePrefix(deployment);
  // Lost, not still connecting for the first time: commands would wait for a reconnection.
  const lost = () => ['reconnecting', 'close', 'end'].includes(connection.status);
  const outputs = new Set<string>();
  return {
    worker<E extends Deliverable>(deps: QueueWorkerDeps<E>): OutboxWorker<E> {
      const { instance, observer, log } = deps;
      outputs.add(instance);
      const random = deps.random ?? Math.random;
      const calls = createAbortScope(deps.signal);
      const queue = new Queue<OutboxRecord>(deliveryQueueName(instance), { connection, prefix });
      queue.on('error', (error) => log.debug({ err: error }, 'delivery queue error'));
      const disabled = disabledKey(deployment, instance);
      // Told the endpoint is gone (here, or by the flag another instance set): a delivery made
      // after a retry says it is tried again.
      let gone = false;
      let inFlight = 0;
      let pending = 0;
      // The depth is a gauge: asked of Redis at most once a second, not once per delivery.
      let counting: NodeJS.Timeout | null = null;
      const countPending = () =>
        void (counting ??= setTimeout(() => {
          void queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized').then(
            (c) => observer.depth((pending = Object.values(c).reduce((a, b) => a + b, 0))),
            () => {},
          );
          counting = null;
        }, DEPTH_EVERY_MS).unref());

      const settle = async (job: Job<OutboxRecord>, record: OutboxRecord, entry: DeliveryAttempt) => {
        await job.updateData(record);
        // The log keeps every attempt: after a requeue (attempts back to 0) numbering goes on.
        const { count } = await queue.getJobLogs(job.id!, 0, 0);
        const ordinal = Math.max(entry.attempt, count + 1);
        await job.log(JSON.stringify({ ...entry, id: attemptId(record.id, ordinal), attempt: ordinal }));
      };

      const attempt = async (job: Job<OutboxRecord>, token?: string): Promise<OutboxRecord> => {
        const record = job.data;
        const at = new Date();
        if (await connection.exists(disabled)) {
          const off = failed(record, record.attempts, at, 'disabled', {}, null);
          await job.updateData(off);
          observer.outcome('disabled');
          gone = true;
          throw new UnrecoverableError('endpoint disabled (410): not attempted');
        }
        const result = await sendOnce(deps.send, record, at, calls);
        // Stopping: not an attempt; any instance takes it up now.
        if (result.aborted) {
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
        const now = new Date();
        const n = record.attempts + 1;
        const decision: Plan = plan(result, n, deps.scheduleMs, now.getTime(), random, deps.classify);
        const why =
          result.statusCode !== undefined ? `HTTP ${result.statusCode}` : (result.error ?? 'failed');
        const details = {
          eventId: record.eventId,
          attempt: n,
          status: result.statusCode,
          error: result.error,
        };
        observer.attempt(result.latencyMs);
        observer.outcome(decision.outcome);
        switch (decision.outcome) {
          case 'delivered': {
            const done = delivered(record, n, now, result.statusCode);
            await settle(job, done, logEntry(record, n, at, result, 'delivered', null));
            if (gone) (observer.reenabled(), (gone = false));
            observer.succeeded({ ...details, latencyMs: result.latencyMs });
            return done;
          }
          case 'retry': {
            const next = new Date(now.getTime() + decision.delayMs);
            await settle(
              job,
              failed(record, n, now, 'pending', result, next),
              logEntry(record, n, at, result, 'retry', next),
            );
            observer.failed(why, details, next, decision.delayMs);
            await job.moveToDelayed(next.getTime(), token);
            throw new DelayedError();
          }
          case 'dead':
            await settle(
              job,
              failed(record, n, now, 'dead', result, null),
              logEntry(record, n, at, result, 'dead', null),
            );
            observer.failed(why, details, null, 0);
            throw new UnrecoverableError(`dead after ${n} attempt(s): ${why}`);
          case 'disabled': {
            await settle(
              job,
              failed(record, n, now, 'disabled', result, null),
              logEntry(record, n, at, result, 'disabled', null),
            );
            const first = await connection.set(
              disabled,
              JSON.stringify({ at: now, eventId: record.eventId }),
              'NX',
            );
            if (first) observer.gone({ ...details, disabledRecords: 1 });
            gone = true;
            throw new UnrecoverableError(`endpoint disabled: ${why}`);
          }
        }
      };

      const worker = new Worker<OutboxRecord, OutboxRecord>(
        deliveryQueueName(instance),
        async (job, token) => {
          inFlight++;
          try {
            return await attempt(job, token);
          } finally {
            inFlight--;
            countPending();
          }
        },
        {
          connection,
          prefix,
          autorun: false,
          concurrency: deps.concurrency,
          lockDuration: options.lockMs,
          stalledInterval: Math.max(1000, Math.floor(options.lockMs / 2)),
          // A job whose instance died is taken up again, however often that happens.
          maxStalledCount: 1000,
        },
      );
      worker.on('error', (error) => log.debug({ err: error }, 'delivery worker error'));
      const add = async (record: OutboxRecord) => {
        await queue.add(deps.channel, record, {
          jobId: record.id,
          removeOnComplete: KEEP_DELIVERED,
          removeOnFail: false,
          // Only for what goes wrong outside an attempt (Redis lost mid-settle): attempts follow the plan.
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
        });
        countPending();
      };
      // As the embedded outbox: a replay of the event is ignored, another event under its id is not.
      const placeAndAdd = async (envelope: E, at: Date) => {
        const placed = await placeWith(instance, envelope, async (id) => (await queue.getJob(id))?.data);
        if (placed.kind === 'replay') return;
        if (placed.kind === 'collision') observer.collision(envelope, placed.existing, placed.envelope.id);
        const { envelope: e, fingerprint } = placed;
        await add(createRecord(instance, e, at, 'pending', deps.channel, deps.render, fingerprint));
      };
      const held = createHeld<[E, Date]>({
        fence: () => deps.store.fence(),
        place: (item) => placeAndAdd(...item),
        lost,
        log,
      });
      const onReady = () => void held.drain();
      connection.on('ready', onReady);
      return {
        async enqueue(envelope) {
          // Redis away: kept here and queued once it is back (a restart loses nothing), without
          // holding the bus up. Behind what is kept already, so that they go in the order they came.
          if (lost() || held.size() > 0) return held.hold([envelope, new Date()]);
          try {
            await deps.store.fence();
          } catch (error) {
            // Refused when this instance no longer leads (SPOUT_STORE_FENCED). Unreachable: the
            // store's connection is not back yet while this one is (each reconnects on its own).
            if ((error as { code?: string }).code !== 'SPOUT_ENGINE_UNREACHABLE') throw error;
            return held.hold([envelope, new Date()]);
          }
          await placeAndAdd(envelope, new Date()); // in Redis before this resolves: the job is the record
        },
        start() {
          void worker
            .run()
            .catch((error: unknown) =>
              log.error({ err: error }, `delivery worker stopped: ${(error as Error).message}`),
            );
          countPending();
        },
        rescan: () => 0,
        async stop() {
          // With Redis away a graceful close would wait for it: jobs in flight were aborted by
          // the signal, and a lock left behind is taken up by another instance after lockMs.
          const force = lost();
          connection.off('ready', onReady);
          if (held.size() > 0 && !force) await held.drain();
          held.stop();
          if (counting) clearTimeout(counting);
          await worker.close(force);
          await queue.close(); // the shared connection stays open (see close)
          if (held.size() > 0) throw unqueued(deployment, held.size());
        },
        depth: () => ({ pending, inFlight }),
      };
    },
    prune: (cutoff) => createDeliveryAdmin(connection, deployment, [...outputs]).prune(cutoff),
    chat: (instance, o) => createChatQueue({ ...o, connection, prefix, instance, lockMs: options.lockMs }),
    /** Close the connection (after every worker stopped: each output's stop closes its own). */
    async close() {
      connection.disconnect();
    },
  };
}
