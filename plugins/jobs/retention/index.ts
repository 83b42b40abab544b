import { Type } from '@sinclair/typebox';
import { defineJob } from '../../../src/plugin/define.js';
import { Cron } from '../../../src/plugin/schema.js';
import { describeCounts, prune } from './prune.js';

const DAY_MS = 86_400_000;

/**
 * `retention`: on a cron `schedule`, deletes predictions, outcomes, delivery records (log and
 * outbox), chat message ids, the API's whale signals and expired tokens older than `days` (see
 * `RETENTION_RULES`), and logs how many of
 * each in one line. The clock is `Date.now()`. Each collection is flushed as soon as it is done
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
    let failing = false;
    ctx.scheduler.cron(
      ctx.options.schedule,
      async () => {
        const cutoff = Date.now() - ctx.options.days * DAY_MS;
        try {
          const counts = await prune(ctx.store, cutoff);
          ctx.log.info(
            { deleted: counts, days: ctx.options.days, before: new Date(cutoff).toISOString() },
            `retention: deleted ${describeCounts(counts)} older than ${ctx.options.days} days`,
          );
          if (failing) ctx.health.set('healthy');
          failing = false;
        } catch (error) {
          failing = true;
          ctx.log.error({ err: error }, `retention run failed: ${(error as Error).message}`);
          ctx.health.set('degraded', `last retention run failed: ${(error as Error).message}`);
        }
      },
      { name: 'retention' },
    );
  },
});
