import { Queue, type Job, type JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DeliveryAttempt, OutboxRecord } from '../delivery/outbox/record.js';
import { requeue } from '../delivery/outbox/requeue.js';
import { deliveryQueueName, disabledKey, queuePrefix } from './queue-keys.js';

const STATES: JobType[] = ['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'];

/**
 * What `spout deliveries` reads and does on a deployment's delivery queues (`engine: redis`), for
 * the output instances `instances` (those whose deliveries are shared work). A job's data is its
 * outbox record, kept current by the instance that makes each attempt; its log, the attempts.
 */
export function createDeliveryAdmin(redis: Redis, deployment: string, instances: readonly string[]) {
  const each = async <T>(use: (queue: Queue<OutboxRecord>, instance: string) => Promise<T>): Promise<T[]> => {
    const out: T[] = [];
    for (const instance of instances) {
      const queue = new Queue<OutboxRecord>(deliveryQueueName(instance), {
        connection: redis,
        prefix: queuePrefix(deployment),
      });
      try {
        out.push(await use(queue, instance));
      } finally {
        await queue.close();
      }
    }
    return out;
  };
  const attemptsOf = async (queue: Queue<OutboxRecord>, job: Job<OutboxRecord>) => {
    const { logs } = await queue.getJobLogs(job.id!, 0, -1);
    return logs.flatMap((line) => {
      try {
        return [JSON.parse(line) as DeliveryAttempt];
      } catch {
        return [];
      }
    });
  };

  return {
    /** Every delivery in the queues with its attempts, oldest first. */
    async read(): Promise<{ outbox: OutboxRecord[]; attempts: DeliveryAttempt[] }> {
      const parts = await each(async (queue) => {
        const jobs = (await queue.getJobs(STATES, 0, -1, true)).filter((j): j is Job<OutboxRecord> => !!j);
        const attempts = (await Promise.all(jobs.map((job) => attemptsOf(queue, job)))).flat();
        return { outbox: jobs.map((job) => job.data), attempts };
      });
      return {
        outbox: parts.flatMap((p) => p.outbox).sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
        attempts: parts.flatMap((p) => p.attempts),
      };
    },

    /**
     * Make dead (or disabled) deliveries pending again, due now, with their attempts reset:
     * `dead` for every dead one, else the record ids in `ids`. A retried delivery re-enables its
     * endpoint (disabled by a 410) on every instance. Returns how many were queued again.
     */
    async retry(request: { dead?: boolean; ids?: readonly string[] }, now: Date): Promise<number> {
      const counts = await each(async (queue, instance) => {
        const targets: Array<[Job<OutboxRecord>, OutboxRecord]> = [];
        for (const job of await queue.getJobs(['failed'], 0, -1, true)) {
          const record = job?.data;
          if (!job || !record) continue;
          const wanted = request.dead ? record.status === 'dead' : (request.ids ?? []).includes(record.id);
          const again = wanted ? requeue(record, now) : record;
          if (again !== record) targets.push([job, again]);
        }
        // Re-enabled first: a job retried while the flag stands would be disabled again at once.
        if (targets.length > 0) await redis.del(disabledKey(deployment, instance));
        for (const [job, again] of targets) {
          await job.updateData(again);
          await job.retry('failed');
        }
        return targets.length;
      });
      return counts.reduce((a, b) => a + b, 0);
    },

    /**
     * Delete the deliveries finished (delivered, dead or disabled) before `cutoff` (epoch ms),
     * with their attempt logs: retention for what the queues keep. Returns how many.
     */
    async prune(cutoff: number): Promise<number> {
      const grace = Math.max(0, Date.now() - cutoff);
      const counts = await each(async (queue) => {
        let n = 0;
        for (const state of ['completed', 'failed'] as const)
          for (let removed = PRUNE_BATCH; removed === PRUNE_BATCH; n += removed)
            removed = (await queue.clean(grace, PRUNE_BATCH, state)).length;
        return n;
      });
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}

/** Jobs deleted per command: bounds the time Redis is busy with one. */
const PRUNE_BATCH = 1000;
