import { Type } from '@sinclair/typebox';
import {
  parseDuration,
  optionError,
  defineJob,
  Cron,
  Duration,
  COLLECTIONS,
  type OutcomeRecord,
} from '../../../src/index.js';
import { evaluate, NO_ALERT, type AlertSettings, type AlertState } from './alerts.js';
import { computeAccuracy } from './compute.js';
import { recordThresholds } from './thresholds.js';

const percent = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

/**
 * `accuracy`: on a cron `schedule`, measures how good the predictions were over the last
 * `window` — the mean score of the outcomes settled in it (`unknown` ones do not count) and the
 * false-positive rate (replaced + dropped share) — and logs both on one line.
 *
 * Below `warning` (or `critical`) it emits `accuracy.degraded`, at most once per `cooldown` while
 * the level stays the same, at once when it gets worse; back at or above `warning` it emits one
 * `accuracy.recovered`. Below `minSample` scored outcomes it only logs "not enough data". The
 * alert in force is kept in the store (`job-state`, key = instance name), so a restart neither
 * repeats nor forgets it. Health stays healthy while runs succeed (low accuracy is reported by
 * the events, not by `/health`); a failing run is logged and marks the instance degraded.
 *
 * While it runs, its `warning` and `critical` are recorded in the store (`recordThresholds`), for
 * the REST API's `/api/stats` to show beside the accuracy.
 */
export default defineJob({
  name: 'accuracy',
  description: 'Rolling prediction accuracy; emits accuracy.degraded / accuracy.recovered on thresholds.',
  options: Type.Object({
    schedule: Cron({ default: '*/5 * * * *', description: 'When to measure (cron, local time).' }),
    window: Duration({ default: '7d', description: 'Outcomes settled within this long are measured.' }),
    warning: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.75,
      description: 'Accuracy below this emits a warning.',
    }),
    critical: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.7,
      description: 'Accuracy below this emits a critical alert (at most warning).',
    }),
    cooldown: Duration({ default: '1h', description: 'Least time between two alerts of the same level.' }),
    minSample: Type.Integer({
      minimum: 1,
      default: 20,
      description: 'Fewer scored outcomes than this in the window: "not enough data", no alert.',
    }),
  }),
  emits: ['accuracy.degraded', 'accuracy.recovered'],
  resolve(o, { instance }) {
    if (o.critical > o.warning)
      throw optionError(
        'critical',
        `(${o.critical}) must not be above jobs.${instance}.warning (${o.warning}); lower critical or raise warning`,
      );
    return o;
  },
  setup(ctx) {
    const o = ctx.options;
    const windowMs = parseDuration(o.window);
    const settings: AlertSettings = {
      warning: o.warning,
      critical: o.critical,
      cooldownMs: parseDuration(o.cooldown),
      minSample: o.minSample,
      window: o.window,
    };
    const outcomes = ctx.store.collection<OutcomeRecord>(COLLECTIONS.outcomes);
    const states = ctx.store.collection<AlertState>(COLLECTIONS.jobState);

    const measure = async (): Promise<void> => {
      const now = new Date(Date.now());
      const figures = computeAccuracy(
        Array.from(outcomes.entries(), ([, outcome]) => outcome),
        { from: now.getTime() - windowMs, to: now.getTime() },
      );
      const previous = states.get(ctx.instance) ?? NO_ALERT;
      const { verdict, state } = evaluate(previous, figures, settings, now);
      if (verdict.kind === 'not-enough-data') {
        ctx.log.info(
          { sample: figures.sample, minSample: o.minSample },
          `not enough data (${figures.sample} of ${o.minSample})`,
        );
        return;
      }
      const fields = { ...figures, level: verdict.level, window: o.window };
      const line = `accuracy ${percent(figures.accuracy)} over ${o.window} (${figures.sample} settled, false positives ${percent(figures.falsePositiveRate)}): ${verdict.level}`;
      if (verdict.kind === 'quiet') {
        ctx.log.info(fields, line);
        return;
      }
      // State, event, then one flush: a crash before the flush may repeat the event after the
      // restart (the state did not reach the disk), but never loses it.
      states.put(ctx.instance, state);
      ctx.bus.publish(verdict.kind, verdict.event);
      ctx.log[verdict.kind === 'accuracy.degraded' ? 'warn' : 'info'](
        { ...fields, event: verdict.kind, threshold: verdict.event.threshold },
        `${line} → ${verdict.kind} (${verdict.event.level}, threshold ${verdict.event.threshold})`,
      );
      await ctx.store.flush();
    };

    ctx.scheduler.cron(o.schedule, measure, { name: 'accuracy', health: ctx.health });
    ctx.onStop(recordThresholds(ctx.store, ctx.instance, { warning: o.warning, critical: o.critical }));
  },
});
