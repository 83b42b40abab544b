import { Type } from '@sinclair/typebox';
import { createError, defineDetector } from '../../../src/index.js';
import { BUILTIN, builtinLabels } from './builtin.js';
import { classifyFlow } from './classify.js';
import { createLabelSet, type LabelLayer, type LabelLookup } from './label-set.js';
import { formatProblems, normalizeAddress, readLabelFile, type LabelProblem } from './labels.js';
import { analyzeChange } from '../whale/change.js';
import { createFileWatch } from './watch.js';

const HOW_TO_FIX =
  'Each label needs an address, an entity (the owner’s name) and a type: exchange, custody or other. ' +
  'YAML/JSON: `ADDRESS: { entity: NAME, type: exchange }` or a list of `{ address, entity, type }`; ' +
  'CSV: a header line `address,entity,type`, then one row per address.';

/** The sources of `labels:` in order: `builtin` or a file name as written in the config. */
const sourcesOf = (labels: string | string[]): string[] => (typeof labels === 'string' ? [labels] : labels);

/**
 * `flow`: annotates each whale with its exchange flow (`flow: { type, from, to }`), from address
 * labels. See {@link classifyFlow} for the rules: `inflow` (to an exchange), `outflow` (from one),
 * `internal` (exchange to exchange), else `unknown`; `from` / `to` name the labelled entity of
 * each side.
 *
 * `labels` is one source or a list of them, merged in order (a later source overrides an
 * address an earlier one labels, and adds the others):
 * - `builtin`: the exchange addresses shipped in the package (`labels/exchanges.json`, from the
 *   exchanges' own proof-of-reserve disclosures; BitMEX's `3BMEX…` addresses as a prefix rule).
 * - a label file, relative to the config file's folder, chosen by its extension:
 *   `.yaml` / `.yml` / `.json`: a mapping `ADDRESS: { entity: NAME, type: TYPE }`, or a list of
 *   `{ address, entity, type }`. Nothing else: no short form (`ADDRESS: NAME`) and no other keys,
 *   so a typo cannot silently change what an address means. `.csv` (RFC 4180: quote a field
 *   holding a comma, double a quote inside one): a header line naming the columns `address`,
 *   `entity` and `type` in any order (other columns, e.g. notes, are ignored), then one row per
 *   address.
 *
 * `type` is required: `exchange`, `custody` or `other` (case-insensitive). Bech32 addresses are
 * matched case-insensitively. The same address twice in one file with the same label is allowed;
 * with a different one, it is a problem. An empty file is a problem.
 *
 * A file with problems at start fails setup with `SPOUT_CONFIG_INVALID` (exit 2) listing every
 * problem as `FILE:LINE  problem`. With `watch` (default), each file is re-read after it changes
 * (debounced; editors that save by rename are seen): a good file replaces its labels (logged with
 * the count); a bad or unreadable one is logged as an error and its previous labels stay.
 *
 * For an inflow, the whale's `transferredSats` / `changeRule` (found by the whale detector without
 * labels) are decided again with the `exchange` change rule: an output to a labelled exchange is a
 * payment, so with one other output, that one is the change.
 */
export default defineDetector({
  name: 'flow',
  description:
    'Annotates whales with their exchange flow (inflow/outflow/internal) from built-in and/or file address labels.',
  options: Type.Object({
    labels: Type.Union(
      [
        Type.String({ minLength: 1 }),
        Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }),
      ],
      {
        description:
          '`builtin` (the exchange addresses shipped with Spout), a label file (.yaml, .yml, .json or .csv, relative to the config file), or a list of them merged in order (later ones override).',
      },
    ),
    watch: Type.Boolean({ default: true, description: 'Re-read the label files when they change.' }),
  }),
  consumes: ['tx.seen'],
  async validate(options, { instance, resolve }) {
    for (const source of sourcesOf(options.labels)) {
      if (source === BUILTIN) continue;
      const first = await readLabelFile(resolve(source));
      if (!first.ok) throw labelError(instance, source, first.problems);
    }
  },
  setup: async (ctx) => {
    const layers: LabelLayer[] = [];
    const files: Array<{ shown: string; path: string; index: number; text: string | undefined }> = [];
    for (const shown of sourcesOf(ctx.options.labels)) {
      if (shown === BUILTIN) {
        const builtin = builtinLabels();
        layers.push(builtin);
        ctx.log.info(
          { labels: builtin.addresses.size, prefixes: builtin.prefixes?.length ?? 0 },
          `loaded ${builtin.addresses.size} built-in exchange labels`,
        );
        continue;
      }
      const path = ctx.resolve(shown);
      const first = await readLabelFile(path);
      // The file may have changed since the configuration was checked.
      if (!first.ok) throw labelError(ctx.instance, shown, first.problems);
      files.push({ shown, path, index: layers.length, text: first.text });
      layers.push({ addresses: first.labels });
      ctx.log.info(
        { file: shown, labels: first.labels.size },
        `loaded ${first.labels.size} labels from ${shown}`,
      );
    }
    let labels: LabelLookup = createLabelSet(layers);

    if (ctx.options.watch && files.length > 0) {
      let stopped = false;
      let queue: Promise<void> = Promise.resolve();
      const reload = async (file: (typeof files)[number]) => {
        const next = await readLabelFile(file.path);
        // A change event that left the content as it was (touch, an editor's backup dance).
        if (stopped || next.text === file.text) return;
        const kept = (layers[file.index] as LabelLayer).addresses.size;
        if (!next.ok) {
          const n = next.problems.length;
          ctx.log.error(
            { file: file.shown, problems: formatProblems(file.shown, next.problems).split('\n') },
            `${n} problem${n === 1 ? '' : 's'} in the changed label file; keeping the previous ${kept} labels:\n` +
              formatProblems(file.shown, next.problems),
          );
          return;
        }
        layers[file.index] = { addresses: next.labels };
        file.text = next.text;
        labels = createLabelSet(layers);
        ctx.log.info(
          { file: file.shown, labels: next.labels.size },
          `reloaded ${next.labels.size} labels from ${file.shown}`,
        );
      };
      const watches = files.map((file) =>
        createFileWatch(
          file.path,
          () => {
            queue = queue
              .then(() => reload(file))
              .catch((error: unknown) =>
                ctx.log.error({ file: file.shown, err: error }, `reloading ${file.shown} failed`),
              );
          },
          {
            onError: (error) =>
              ctx.log.warn(
                { file: file.shown, err: error },
                `cannot watch ${file.shown}; changes may be missed`,
              ),
          },
        ),
      );
      ctx.onStop(async () => {
        stopped = true;
        for (const w of watches) w.close();
        await queue;
      });
    }

    const isExchange = (address: string) => labels.get(normalizeAddress(address))?.type === 'exchange';
    return {
      annotate(tx, signal) {
        const flow = classifyFlow(tx, labels);
        // Only an inflow pays a labelled exchange: then the whale detector's change guess (made
        // without labels) is decided again with the `exchange` rule, which comes first.
        if (flow.type !== 'inflow' || signal.changeRule === undefined) return { flow };
        const { transferredSats, changeRule } = analyzeChange(tx, isExchange);
        return { flow, transferredSats, changeRule };
      },
    };
  },
});

/** The configuration error for a label file with problems (no scope: the kernel adds it). */
function labelError(instance: string, shown: string, problems: readonly LabelProblem[]) {
  const n = problems.length;
  return createError(
    'SPOUT_CONFIG_INVALID',
    `${n} problem${n === 1 ? '' : 's'} in the label file of detectors.${instance}.labels:\n` +
      `${formatProblems(shown, problems)}\n${HOW_TO_FIX}`,
  );
}
