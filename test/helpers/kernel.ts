import { Type } from '@sinclair/typebox';
import type { Filter } from '../../src/config/kernel-schema.js';
import type { InstanceConfig, SpoutConfig } from '../../src/config/types.js';
import { SECTIONS, type Section } from '../../src/config/kernel-schema.js';
import { createLogger } from '../../src/log/logger.js';
import type { EventPattern, PluginDefinition } from '../../src/plugin/types.js';

const SECTION_OF = Object.fromEntries(Object.entries(SECTIONS).map(([s, k]) => [k, s])) as Record<
  string,
  Section
>;

/** An instance config for an in-process plugin, bypassing YAML (the loader has its own tests). */
export function instance(
  name: string,
  plugin: PluginDefinition,
  extra: {
    options?: Record<string, unknown>;
    events?: EventPattern[];
    filter?: Filter;
    enabled?: boolean;
  } = {},
): InstanceConfig {
  const options = extra.options ?? {};
  return {
    section: SECTION_OF[plugin.kind] as Section,
    kind: plugin.kind,
    name,
    use: plugin.name,
    enabled: extra.enabled ?? true,
    events: extra.events ?? null,
    filter: extra.filter ?? null,
    options,
    plugin,
    secretOptions: [],
    fingerprint: JSON.stringify([plugin.name, extra, options]),
  };
}

/** Stand-ins for the process's RSS and memory limit, as `createKernel` takes them (when given). */
export interface MemoryStandIns {
  memorySample?: () => number;
  memoryLimitBytes?: number;
  heapLimitBytes?: number;
  setV8Flags?: (flags: string) => void;
}

/** The stand-ins that are set, to spread into `createKernel`'s options. */
export const memoryStandIns = ({
  memorySample,
  memoryLimitBytes,
  heapLimitBytes,
  setV8Flags,
}: MemoryStandIns): MemoryStandIns => ({
  ...(memorySample ? { memorySample } : {}),
  ...(memoryLimitBytes ? { memoryLimitBytes } : {}),
  ...(heapLimitBytes ? { heapLimitBytes } : {}),
  // A forced level is no reason to change the test process's real heap: a no-op unless given.
  ...(setV8Flags ? { setV8Flags } : memorySample ? { setV8Flags: () => {} } : {}),
});

/** `kernel.memory` as the schema defaults it. */
export const MEMORY_DEFAULTS = { warningAt: 0.8, criticalAt: 0.9, recoverAt: 0.7, checkEvery: '5s' };

/** A whole config around the given instances, with fast time limits and HTTP off by default. */
export function config(instances: InstanceConfig[], overrides: Partial<SpoutConfig> = {}): SpoutConfig {
  return {
    log: { level: 'debug', format: 'json' },
    storage: { path: '/nonexistent/never-used.json' },
    http: { listen: '127.0.0.1:0', enabled: false },
    auth: {},
    engine: { use: 'embedded', url: 'redis://127.0.0.1:6379', deployment: 'spout', leaseTime: '10s' },
    kernel: {
      setupTimeout: '2s',
      startTimeout: '2s',
      stopTimeout: '300ms',
      drainTimeout: '2s',
      helperThreadsNice: 0,
      memory: MEMORY_DEFAULTS,
    },
    file: 'test.yaml',
    dir: process.cwd(),
    instances,
    secrets: [],
    strictSecrets: [],
    ...overrides,
  };
}

/** A logger whose JSON lines are collected in `lines` (parsed). */
export function captureLog(secrets: string[] = []) {
  const raw: string[] = [];
  const root = createLogger({
    level: 'debug',
    format: 'json',
    secrets,
    write: (line) => void raw.push(line),
  });
  return {
    ...root,
    raw,
    get lines(): Array<Record<string, unknown>> {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

/** A plugin options schema with no options. */
export const NoOptions = Type.Object({});

/** Resolve when `predicate` holds, checking after every macrotask; rejects after `ms`. */
export async function until(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
