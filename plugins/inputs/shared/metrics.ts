import { counter, type PluginContext } from '../../../src/index.js';

/**
 * The counters every live input keeps, under the same names so dashboards and alerts work on
 * any input: what it refused (by reason) and what it did not read (at or below the interest
 * floor).
 */
export function inputCounters(ctx: Pick<PluginContext<unknown>, 'metrics'>) {
  return {
    rejected: counter(
      ctx.metrics,
      'spout_input_rejected_total',
      'Input refused by an input (a frame or an item of one), by reason.',
      ['instance', 'reason'],
    ),
    skipped: counter(
      ctx.metrics,
      'spout_input_skipped_total',
      'Transactions an input did not read: at or below the interest floor (no consumer of tx.seen has any use for them).',
      ['instance'],
    ),
  };
}
