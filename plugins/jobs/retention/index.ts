import { Type } from '@sinclair/typebox';
import { defineJob, Cron } from '../../../src/index.js';
import { describeCounts, prune } from './prune.js';

const DAY_MS = 86_400_000;

/**
 * `retention`: on a cron `schedule`, deletes predictions, outcomes, delivery records (log and
 * outbox), chat message ids, the API's whale signals and expired tokens older than `days` (see
 * `RETENTION_RULES`) — with `engine: redis` also the finished jobs of the delivery queues — and
 * logs how many of each in one line. The clock is `Date.now()`. Each collection is flushed as soon as it is done
 * and deletion is idempotent, so a run cut short by a crash is simply completed by the next one.
 * A failing run is logged and marks the instance degraded until a run succeeds.
 */
export default defineJob({
  name: 'retention',
  description:
    'Deletes whales, outcomes, delivery records, chat message ids, API whale signals and expired tokens older than `days`.',
  options: Type.Object({
    schedule: Cron({ default: '0 3 * * *', description: 'When to prune (cron, local time).' }),
    days: Type.Integer({ minimum: 1, default: 90, description: 'Keep records for this many days.' }),
  }),
  setup(ctx) {
    const { days } = ctx.options;
    const run = async () => {
      const cutoff = Date.now() - days * DAY_MS;
      const counts = await prune(ctx.store, cutoff);
      // engine: redis: webhook and e-mail deliveries are jobs in the deployment's queues.
      const queued = await ctx.queuedDeliveries.prune(cutoff);
      if (queued > 0) counts['queued deliveries'] = queued;
      ctx.log.info(
        { deleted: counts, days, before: new Date(cutoff).toISOString() },
        `retention: deleted ${describeCounts(counts)} older than ${days} days`,
      );
    };
    ctx.scheduler.cron(ctx.options.schedule, run, { name: 'retention', health: ctx.health });
  },
});
