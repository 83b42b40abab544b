import { createHash } from 'node:crypto';
import { DelayedError, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChatJob, ChatQueueOptions, ChatSchedule } from '../delivery/chat/schedule.js';

/** How often the depth gauge asks Redis, at most. */
const DEPTH_EVERY_MS = 1000;

/**
 * BullMQ's limiter opens its window in Redis when a job is taken; the call leaves this process a
 * moment later, however long the event loop takes. Two calls could then reach the platform
 * closer than its limit (9 ms closer was seen on a loaded machine): the window is widened by a
 * tenth, at most 25 ms, which costs a Telegram chat 2.5 % of its allowance.
 */
export const limiterWindowMs = (ms: number) => Math.max(1, ms) + Math.min(25, Math.ceil(ms / 10));

/** A short stable digest: queue names and job ids never hold a chat (a Discord webhook URL is a secret). */
const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** The BullMQ queue of one chat of a chat output instance. */
export const chatQueueName = (instance: string, chat: string) => `chat-${instance}-${digest(chat)}`;

/**
 * A chat output's posts and edits on the deployment's Redis (`engine: redis`): one BullMQ queue
 * per chat, worked one job at a time deployment-wide (global concurrency 1, so a post and the
 * edits of its message keep their order) and limited by BullMQ's limiter at the platform's
 * `limit`, which holds across processes and a change of leader. A job is "bring this record's
 * copy on this chat in step"; its id is the record, chat and version, so a second publish adds
 * nothing. A job in flight on a leader that dies is taken up again after `lockMs` by the next
 * leader's worker, which finds the post marked `sending` and does not post it again.
 *
 * Only the leader works these queues: the message records are its store's (one writer), and
 * the store's fencing refuses a stale leader's `sending` mark, so a post is made at most once.
 */
export function createChatQueue(
  options: ChatQueueOptions & {
    connection: Redis;
    prefix: string;
    instance: string;
    lockMs: number;
  },
): ChatSchedule {
  const { connection, prefix, instance, log } = options;
  const queues = new Map(
    options.chats.map((chat) => {
      const queue = new Queue<ChatJob>(chatQueueName(instance, chat), { connection, prefix });
      queue.on('error', (error) => log.debug({ err: error }, 'chat queue error'));
      return [chat, queue] as const;
    }),
  );
  const workers: Worker<ChatJob>[] = [];
  let hooks: Parameters<ChatSchedule['start']>[0] | null = null;
  let stopped = false;
  // Sending disabled (a bad token): no worker runs, jobs wait for a reload.
  let halted = false;
  let globalFree = 0;
  let waiting = 0;
  let inFlight = 0;
  // Jobs may have been lost while Redis was away (an add that failed): made due again when back.
  let wasLost = false;
  const lost = () => ['reconnecting', 'close', 'end'].includes(connection.status);
  const onClose = () => (wasLost = true);
  const onReady = () => {
    if (!wasLost || stopped) return;
    wasLost = false;
    hooks?.resync();
  };
  // An add refused while connected (Redis read-only after a failover, out of memory): tried again.
  let retrying: NodeJS.Timeout | null = null;
  const retryLater = () =>
    void (retrying ??= setTimeout(() => {
      retrying = null;
      if (!stopped && !lost()) hooks?.resync();
    }, 1000).unref());
  connection.on('close', onClose);
  connection.on('ready', onReady);

  let counting: NodeJS.Timeout | null = null;
  const count = () =>
    void (
      stopped ||
      (counting ??= setTimeout(() => {
        counting = null;
        void Promise.all(
          [...queues.values()].map((q) => q.getJobCounts('waiting', 'delayed', 'active', 'prioritized')),
        ).then(
          (all) => hooks?.depth((waiting = all.flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0))),
          () => {},
        );
      }, DEPTH_EVERY_MS).unref())
    );

  const halt = () => {
    halted = true;
    for (const worker of workers) void worker.close().catch(() => {});
  };

  const jobId = (job: ChatJob) => `${digest(`${job.recordId}\n${job.chat}`)}-v${job.version}`;

  return {
    async due(job, at) {
      const queue = queues.get(job.chat);
      if (!queue || stopped) return;
      // Redis away: the add would wait for it; the record is in the store, made due when it is back.
      if (lost()) return void (wasLost = true);
      try {
        await queue.add('sync', job, {
          jobId: jobId(job),
          delay: Math.max(0, at - Date.now()),
          removeOnComplete: true,
          removeOnFail: true,
        });
      } catch (error) {
        // Made due again from the records: when Redis is ready again, or shortly.
        wasLost = true;
        retryLater();
        throw error;
      }
      count();
    },
    start(h) {
      hooks = h;
      if (halted || stopped) return;
      for (const [chat, queue] of queues) {
        const worker = new Worker<ChatJob>(
          queue.name,
          async (job, token) => {
            inFlight++;
            try {
              // The next slot of the instance's pacing, taken before waiting for it: the workers of
              // all its chats share it.
              const slot = Math.max(Date.now(), globalFree);
              globalFree = slot + options.pacing.globalMs;
              if (slot > Date.now()) await new Promise((r) => setTimeout(r, slot - Date.now()));
              const result = await h.run(job.data);
              if (result.yielded) halt(); // another instance leads: the job is its to make
              if (result.next === null && !result.yielded) return;
              // A retry, an edit that came during the call, or the leader's: the same job, later.
              await job.moveToDelayed(
                Math.max(result.next ?? 0, Date.now() + (result.yielded ? 1000 : 0)),
                token,
              );
              throw new DelayedError();
            } finally {
              inFlight--;
              count();
            }
          },
          {
            connection,
            prefix,
            autorun: false,
            concurrency: 1,
            limiter: { max: options.limit.max, duration: limiterWindowMs(options.limit.durationMs) },
            lockDuration: options.lockMs,
            stalledInterval: Math.max(1000, Math.floor(options.lockMs / 2)),
            maxStalledCount: 1000,
          },
        );
        worker.on('error', (error) => log.debug({ err: error }, 'chat worker error'));
        worker.on('failed', (job, error) =>
          log.error({ err: error, chat: job?.data.chat }, `chat sync failed: ${error.message}`),
        );
        workers.push(worker);
        void queue
          .setGlobalConcurrency(1)
          .then(() => worker.run())
          .catch((error: unknown) =>
            log.error({ err: error, chat }, `chat queue stopped: ${(error as Error).message}`),
          );
      }
      count();
    },
    halt,
    async stop(graceMs, abort) {
      stopped = true;
      connection.off('close', onClose);
      connection.off('ready', onReady);
      if (counting) clearTimeout(counting);
      if (retrying) clearTimeout(retrying);
      // With Redis away a graceful close would wait for it; a lock left behind is taken up later.
      const force = lost();
      const closed = Promise.all(workers.map((w) => w.close(force).catch(() => {})));
      if (inFlight > 0) {
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([closed, new Promise((r) => (grace = setTimeout(r, graceMs)))]);
        clearTimeout(grace);
      }
      abort();
      await closed;
      await Promise.all([...queues.values()].map((q) => q.close().catch(() => {})));
    },
    size: () => waiting,
  };
}
