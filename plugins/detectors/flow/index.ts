import { Type } from '@sinclair/typebox';
import { createError, defineDetector } from '../../../src/index.js';
import { classifyFlow } from './classify.js';
import { formatProblems, readLabelFile, type LabelMap } from './labels.js';
import { createFileWatch } from './watch.js';

const HOW_TO_FIX =
  'Each label needs an address, an entity (the owner’s name) and a type: exchange, custody or other. ' +
  'YAML/JSON: `ADDRESS: { entity: NAME, type: exchange }` or a list of `{ address, entity, type }`; ' +
  'CSV: a header line `address,entity,type`, then one row per address.';

/**
 * `flow`: annotates each whale with its exchange flow (`flow: { type, from, to }`), from a label
 * file of address → entity. See {@link classifyFlow} for the rules: `inflow` (to an exchange),
 * `outflow` (from one), `internal` (exchange to exchange), else `unknown`; `from` / `to` name the
 * labelled entity of each side.
 *
 * The label file (`labels`, relative to the config file's folder) is chosen by its extension:
 * - `.yaml` / `.yml` / `.json`: a mapping `ADDRESS: { entity: NAME, type: TYPE }`, or a list of
 *   `{ address, entity, type }`. Nothing else: no short form (`ADDRESS: NAME`) and no other keys,
 *   so a typo cannot silently change what an address means.
 * - `.csv` (RFC 4180: quote a field holding a comma, double a quote inside one): a header line
 *   naming the columns `address`, `entity` and `type` in any order (other columns, e.g. notes, are
 *   ignored), then one row per address.
 *
 * `type` is required: `exchange`, `custody` or `other` (case-insensitive). Bech32 addresses are
 * matched case-insensitively. The same address twice with the same label is allowed; with a
 * different one, it is a problem. An empty file is a problem.
 *
 * A file with problems at start fails setup with `SPOUT_CONFIG_INVALID` (exit 2) listing every
 * problem as `FILE:LINE  problem`. With `watch` (default), the file is re-read after it changes
 * (debounced; editors that save by rename are seen): a good file replaces the labels (logged
 * with the count); a bad or unreadable one is logged as an error and the previous labels stay.
 */
export default defineDetector({
  name: 'flow',
  description:
    'Annotates whales with their exchange flow (inflow/outflow/internal) from an address-label file.',
  options: Type.Object({
    labels: Type.String({
      minLength: 1,
      description:
        'Label file (.yaml, .yml, .json or .csv) of address → entity and type, relative to the config file.',
    }),
    watch: Type.Boolean({ default: true, description: 'Re-read the label file when it changes.' }),
  }),
  consumes: ['tx.seen'],
  async validate(options, { instance, resolve }) {
    const first = await readLabelFile(resolve(options.labels));
    if (!first.ok) throw labelError(instance, options.labels, first.problems);
  },
  setup: async (ctx) => {
    const shown = ctx.options.labels;
    const path = ctx.resolve(shown);
    const first = await readLabelFile(path);
    // The file may have changed since the configuration was checked.
    if (!first.ok) throw labelError(ctx.instance, shown, first.problems);
    let labels: LabelMap = first.labels;
    let loadedText = first.text;
    ctx.log.info({ file: shown, labels: labels.size }, `loaded ${labels.size} labels from ${shown}`);

    if (ctx.options.watch) {
      let stopped = false;
      let queue: Promise<void> = Promise.resolve();
      const reload = async () => {
        const next = await readLabelFile(path);
        // A change event that left the content as it was (touch, an editor's backup dance).
        if (stopped || next.text === loadedText) return;
        if (!next.ok) {
          const n = next.problems.length;
          ctx.log.error(
            { file: shown, problems: formatProblems(shown, next.problems).split('\n') },
            `${n} problem${n === 1 ? '' : 's'} in the changed label file; keeping the previous ${labels.size} labels:\n` +
              formatProblems(shown, next.problems),
          );
          return;
        }
        labels = next.labels;
        loadedText = next.text;
        ctx.log.info({ file: shown, labels: labels.size }, `reloaded ${labels.size} labels from ${shown}`);
      };
      const enqueue = () => {
        queue = queue
          .then(reload)
          .catch((error: unknown) => ctx.log.error({ file: shown, err: error }, `reloading ${shown} failed`));
      };
      const watch = createFileWatch(path, enqueue, {
        onError: (error) =>
          ctx.log.warn({ file: shown, err: error }, `cannot watch ${shown}; changes may be missed`),
      });
      ctx.onStop(async () => {
        stopped = true;
        watch.close();
        await queue;
      });
    }

    return {
      annotate: (tx) => ({ flow: classifyFlow(tx, labels) }),
    };
  },
});

/** The configuration error for a label file with problems (no scope: the kernel adds it). */
function labelError(instance: string, shown: string, problems: Parameters<typeof formatProblems>[1]) {
  const n = problems.length;
  return createError(
    'SPOUT_CONFIG_INVALID',
    `${n} problem${n === 1 ? '' : 's'} in the label file of detectors.${instance}.labels:\n` +
      `${formatProblems(shown, problems)}\n${HOW_TO_FIX}`,
  );
}
