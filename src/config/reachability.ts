import { EVENT_TYPES } from '../bus/catalogue.js';
import type { EventType } from '../bus/events.js';
import { eventMatcher } from '../kernel/routing.js';
import type { DetectorDefinition, EventPattern, OutputDefinition, PluginKind } from '../plugin/types.js';
import type { PluginCatalogue } from '../plugin/catalogue.js';
import type { Section } from './kernel-schema.js';
import type { InstanceConfig } from './types.js';

/** A built-in plugin that produces an event type, and how to add it to a configuration. */
export interface Producer {
  kind: PluginKind;
  section: Section;
  /** Its `use:` name. */
  use: string;
  /** The instance name the suggestion uses. */
  name: string;
}

const producer = (kind: PluginKind, section: Section, use: string, name = use): Producer => ({
  kind,
  section,
  use,
  name,
});
const MEMPOOL = producer('input', 'inputs', 'mempool');
const BITCOIND = producer('input', 'inputs', 'bitcoind');
const WHALE = producer('detector', 'detectors', 'whale', 'whales');
const URGENCY = producer('detector', 'detectors', 'urgency');
const CORRELATION = producer('job', 'jobs', 'correlation');
const ACCURACY = producer('job', 'jobs', 'accuracy');

/**
 * The built-in plugin to suggest for each event type nothing configured produces: the live
 * input for transaction events, the whale detector, the correlation job for settlements (the
 * rbf detector also reports replacements, but only correlation reports all three outcomes), the
 * accuracy job.
 */
export const SUGGESTED_PRODUCERS: Readonly<Record<EventType, Producer>> = {
  'tx.seen': MEMPOOL,
  'tx.replaced': MEMPOOL,
  'tx.removed': MEMPOOL,
  'tx.position': MEMPOOL,
  'block.connected': MEMPOOL,
  'block.disconnected': BITCOIND,
  'mempool.stats': MEMPOOL,
  'input.status': MEMPOOL,
  'whale.detected': WHALE,
  'whale.updated': URGENCY,
  'whale.confirmed': CORRELATION,
  'whale.replaced': CORRELATION,
  'whale.dropped': CORRELATION,
  'accuracy.degraded': ACCURACY,
  'accuracy.recovered': ACCURACY,
};

/**
 * Types an output's default families may match without their producer being configured: a
 * refinement of events that do arrive (`whale.updated` needs the urgency detector and tracked
 * whales; `block.disconnected` only the `bitcoind` input reports), whose absence is no
 * configuration problem. Named in `events:`, they are checked.
 */
const OPTIONAL_BY_DEFAULT: ReadonlySet<EventType> = new Set<EventType>([
  'whale.updated',
  'block.disconnected',
]);

/** An output or job waiting for events that no enabled instance produces. */
export interface UnreachableEvents {
  /** `outputs.desk`, `jobs.correlation`. */
  instance: string;
  /** The event types (or, for a pattern written in `events:` that nothing matches, the pattern). */
  events: string[];
  /** Built-in plugins that would produce them. */
  producers: Producer[];
  /** One line saying so, and what to add. */
  message: string;
}

/** The event types the enabled instances of a configuration publish. */
export function producedEvents(
  instances: readonly InstanceConfig[],
  catalogue: PluginCatalogue,
): Set<EventType> {
  const produced = new Set<EventType>();
  for (const i of instances) {
    if (!i.enabled || !i.plugin) continue;
    for (const type of i.plugin.emits ?? []) produced.add(type);
    // The kernel publishes whale.detected for a detector that admits. One of one's own may admit
    // without saying so; the catalogue's say (only `whale` admits).
    if (
      i.kind === 'detector' &&
      ((i.plugin as DetectorDefinition).admits ?? catalogue.detector[i.use] === undefined)
    )
      produced.add('whale.detected');
  }
  return produced;
}

/**
 * Which outputs and jobs wait for events that can never arrive: no enabled instance emits them
 * (by the plugins' `emits`). An output's `events:` as written: an event type must be produced; a
 * family (`whale.*`) or `*` is satisfied when any type it matches is. An output on its plugin's
 * default events: each type of its default families must be produced (a default of `*` is
 * satisfied by anything), so a webhook on `whale.*` without the correlation job is told it will
 * never get settlements. A job: each type it consumes. Pure: the same configuration gives the
 * same list, in instance order.
 */
export function unreachableEvents(
  instances: readonly InstanceConfig[],
  catalogue: PluginCatalogue,
): UnreachableEvents[] {
  const produced = producedEvents(instances, catalogue);
  const out: UnreachableEvents[] = [];
  for (const i of instances) {
    if (!i.enabled || !i.plugin) continue;
    let missing: string[] = [];
    if (i.kind === 'output') {
      missing =
        i.events === null
          ? missingByType((i.plugin as OutputDefinition).defaultEvents, produced)
          : missingAsWritten(i.events, produced);
    } else if (i.kind === 'job') {
      // A job consuming an optional refinement (the api job and whale.updated) works without it.
      missing = [...new Set(i.plugin.consumes ?? [])].filter(
        (t) => !produced.has(t) && !OPTIONAL_BY_DEFAULT.has(t),
      );
    }
    if (missing.length === 0) continue;
    // Nothing at all is produced: the live input is what is missing first.
    const types = missing.includes('*')
      ? ['tx.seen' as const]
      : missing.flatMap((m) => EVENT_TYPES.filter(eventMatcher([m as EventPattern])));
    const producers = [...new Set(types.map((t) => SUGGESTED_PRODUCERS[t]))];
    out.push({
      instance: `${i.section}.${i.name}`,
      events: missing,
      producers,
      message: describe(`${i.section}.${i.name}`, missing, producers, instances),
    });
  }
  return out;
}

function missingAsWritten(patterns: readonly EventPattern[], produced: Set<EventType>): string[] {
  return patterns.filter((p) => !EVENT_TYPES.some((t) => produced.has(t) && eventMatcher([p])(t)));
}

function missingByType(patterns: readonly EventPattern[], produced: Set<EventType>): string[] {
  if (patterns.includes('*')) return missingAsWritten(['*'], produced);
  const types = EVENT_TYPES.filter(eventMatcher(patterns));
  return types.filter((t) => !produced.has(t) && !OPTIONAL_BY_DEFAULT.has(t));
}

function describe(
  instance: string,
  events: string[],
  producers: Producer[],
  instances: readonly InstanceConfig[],
): string {
  if (events.includes('*'))
    return `${instance}: no event ever arrives: no configured plugin emits any; ${fixOf(producers, instances)}`;
  const one = events.length === 1 && !events[0]!.includes('*');
  const shown = events.map((e) => (e.endsWith('.*') ? `${e} events` : e));
  return (
    `${instance}: ${shown.join(', ')} never ${one ? 'arrives' : 'arrive'}: ` +
    `no configured plugin emits ${one ? 'it' : 'them'}; ${fixOf(producers, instances)}`
  );
}

/** What to add (or enable) to a configuration for `producers`, in words. */
function fixOf(producers: Producer[], instances: readonly InstanceConfig[]): string {
  const enable: string[] = [];
  const add: string[] = [];
  for (const p of producers) {
    const off = instances.find((i) => i.kind === p.kind && i.use === p.use && !i.enabled);
    if (off) enable.push(`the ${p.use} ${p.kind} (${off.section}.${off.name} has enabled: false)`);
    else add.push(`the ${p.use} ${p.kind} (${p.section}: { ${p.name}: { use: ${p.use} } })`);
  }
  const list = (items: string[]) =>
    items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
  return [enable.length ? `enable ${list(enable)}` : '', add.length ? `add ${list(add)}` : '']
    .filter(Boolean)
    .join(', and ');
}
