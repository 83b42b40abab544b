import { parseConfig } from '../config/load.js';
import type { InstanceConfig, SpoutConfig } from '../config/types.js';
import type { PluginCatalogue } from '../plugin/catalogue.js';
import type { DetectorDefinition } from '../plugin/types.js';
import { CLOCK_PLUGIN, type ReplayClock } from './clock.js';

/** The pipeline `spout backtest` uses without `--config`. */
export const DEFAULT_PIPELINE = [
  'detectors:',
  '  whales: { use: whale, thresholdBtc: 100 }',
  '  urgency: { use: urgency }',
  '  rbf: { use: rbf }',
  'jobs:',
  '  correlation: { use: correlation }',
].join('\n');

/** What a backtest runs, and what the user should know about how it was derived. */
export interface BacktestPipeline {
  config: SpoutConfig;
  /** Sentences for stderr: a correlation job added, no detector that admits whales. */
  notes: string[];
}

const isCorrelation = (i: InstanceConfig) => i.kind === 'job' && i.plugin?.name === 'correlation';

/** `base`, or `base-2`, `base-3`… : the first name no instance of `taken` has. */
function freeName(base: string, taken: ReadonlySet<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  return name;
}

/**
 * The configuration a backtest runs: the enabled detectors and `correlation` jobs of `user` (or
 * {@link DEFAULT_PIPELINE} when `user` is null), behind the replay clock's detector, which comes
 * first; no inputs, outputs or other jobs, and the HTTP server off. The user's kernel settings
 * (time limits) are kept. A configuration without a correlation job gets the default one (with a
 * note). Throws the configuration loader's errors, which cannot happen for the built-ins.
 */
export async function backtestPipeline(options: {
  user: SpoutConfig | null;
  catalogue: PluginCatalogue;
  clock: ReplayClock;
  /** Where relative paths of the default pipeline start (the working directory). */
  cwd: string;
}): Promise<BacktestPipeline> {
  const { user, clock } = options;
  const catalogue: PluginCatalogue = {
    ...options.catalogue,
    detector: {
      ...options.catalogue.detector,
      [CLOCK_PLUGIN]: () => Promise.resolve({ default: clock.detector }),
    },
  };
  const kept = (user?.instances ?? []).filter(
    (i) => i.enabled && (i.kind === 'detector' || isCorrelation(i)),
  );
  const taken = new Set((user?.instances ?? []).map((i) => i.name));
  const clockName = freeName(CLOCK_PLUGIN, taken);
  const notes: string[] = [];
  const addCorrelation = user !== null && !kept.some(isCorrelation);
  const correlationName = freeName('correlation', taken);
  if (addCorrelation)
    notes.push(
      `${user.file} has no enabled correlation job; whales are settled by a default one ("${correlationName}: { use: correlation }")`,
    );
  const yaml = [
    'http: { enabled: false }',
    'detectors:',
    `  ${clockName}: { use: ${CLOCK_PLUGIN} }`,
    ...(user === null ? DEFAULT_PIPELINE.split('\n').slice(1) : []),
    ...(addCorrelation ? ['jobs:', `  ${correlationName}: { use: correlation }`] : []),
  ].join('\n');
  const base = await parseConfig(yaml, 'backtest', user?.dir ?? options.cwd, {}, catalogue);
  const [clockInstance, ...rest] = base.instances;
  const instances = [clockInstance as InstanceConfig, ...kept, ...rest];
  // As `spout check` judges it: a built-in admits only when it says so; a plugin from outside
  // the catalogue that does not say is assumed to.
  const admits = (i: InstanceConfig) =>
    i.kind === 'detector' &&
    ((i.plugin as DetectorDefinition | null)?.admits ?? options.catalogue.detector[i.use] === undefined);
  if (user !== null && !kept.some(admits))
    notes.push(
      `${user.file} has no enabled detector that admits whales (such as whale): none will be detected`,
    );
  const from = user ?? base;
  return {
    config: { ...from, http: { ...from.http, enabled: false }, instances },
    notes,
  };
}
