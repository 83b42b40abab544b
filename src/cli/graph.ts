import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { EVENT_TYPES } from '../bus/catalogue.js';
import type { EventType } from '../bus/events.js';
import { unreachableEvents, type UnreachableEvents } from '../config/reachability.js';
import type { InstanceConfig, SpoutConfig } from '../config/types.js';
import { eventMatcher } from '../kernel/routing.js';
import { MASK } from '../log/redact.js';
import type { OutputDefinition } from '../plugin/types.js';
import { shownUrl } from '../engine/words.js';

/** One instance as `spout check` shows it. Secret options are masked. */
export interface GraphNode {
  section: string;
  name: string;
  plugin: string;
  enabled: boolean;
  consumes: string[];
  emits: string[];
  routing?: { events: string[]; default: boolean; filter: Record<string, unknown> | null };
  options: Record<string, unknown>;
}

/** The wired plugin graph of a config, plus the outputs and jobs waiting for events nothing produces. */
export function buildGraph(config: SpoutConfig): { nodes: GraphNode[]; warnings: UnreachableEvents[] } {
  return {
    nodes: config.instances.map(node),
    warnings: unreachableEvents(config.instances, BUILTIN_PLUGINS),
  };
}

function node(i: InstanceConfig): GraphNode {
  const options = mask(i.options as Record<string, unknown>, i.secretOptions);
  const base: GraphNode = {
    section: i.section,
    name: i.name,
    plugin: i.use,
    enabled: i.enabled,
    consumes: [],
    emits: [],
    options,
  };
  if (!i.plugin) return base;
  base.consumes = [...(i.plugin.consumes ?? [])];
  base.emits = [...(i.plugin.emits ?? [])];
  if (i.kind === 'detector') {
    base.consumes = [...new Set(['tx.seen', ...base.consumes])];
    base.emits = [...new Set(['whale.detected', ...base.emits])];
  }
  if (i.kind === 'output') {
    const patterns = i.events ?? (i.plugin as OutputDefinition).defaultEvents;
    const matches = eventMatcher(patterns);
    const events = EVENT_TYPES.filter((t: EventType) => matches(t));
    base.consumes = events;
    base.routing = { events, default: i.events === null, filter: i.filter ? { ...i.filter } : null };
  }
  return base;
}

function mask(options: Record<string, unknown>, secret: readonly string[]): Record<string, unknown> {
  const copy = structuredClone(options) as Record<string, unknown>;
  for (const path of secret) {
    const keys = path.split('.');
    let target: Record<string, unknown> | undefined = copy;
    for (const k of keys.slice(0, -1)) target = target?.[k] as Record<string, unknown> | undefined;
    const last = keys[keys.length - 1] as string;
    if (target && last in target) target[last] = MASK;
  }
  return copy;
}

/**
 * The graph as readable text, options whole (secret ones and those set from `${VAR}` masked).
 * Warnings are not part of it: `spout check` writes them to stderr.
 */
export function formatGraph(config: SpoutConfig, graph: { nodes: GraphNode[] }): string {
  const lines = [
    `${config.file}: OK`,
    `  http ${config.http.enabled ? config.http.listen : 'off'}   storage ${config.storage.path}   log ${config.log.level}/${config.log.format}`,
    config.engine.use === 'redis'
      ? `  engine redis ${shownUrl(config.engine.url)}   deployment ${config.engine.deployment}   lease ${config.engine.leaseTime} (docs/scaling.md)`
      : '  engine embedded (one process)',
  ];
  const width = Math.max(8, ...graph.nodes.map((n) => n.name.length));
  for (const section of ['inputs', 'detectors', 'jobs', 'outputs']) {
    const nodes = graph.nodes.filter((n) => n.section === section);
    if (nodes.length === 0) continue;
    lines.push('', section);
    for (const n of nodes) {
      const head = `  ${n.name.padEnd(width)}  ${n.plugin}`;
      if (!n.enabled) {
        lines.push(`${head}  (disabled)`);
        continue;
      }
      if (n.routing) {
        const filter = n.routing.filter ? `  filter ${JSON.stringify(n.routing.filter)}` : '';
        lines.push(
          `${head}  ← ${n.routing.events.join(', ') || '(nothing)'}${n.routing.default ? ' (default)' : ''}${filter}`,
        );
      } else {
        const parts = [
          n.consumes.length ? `consumes ${n.consumes.join(', ')}` : '',
          n.emits.length ? `emits ${n.emits.join(', ')}` : '',
        ];
        lines.push(`${head}  ${parts.filter(Boolean).join('; ')}`);
      }
      if (Object.keys(n.options).length > 0)
        lines.push(`  ${' '.repeat(width)}  options ${JSON.stringify(n.options)}`);
    }
  }
  return lines.join('\n') + '\n';
}
