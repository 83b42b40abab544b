import { resolve } from 'node:path';
import type { PluginDefinition } from '../plugin/types.js';
import { secretOptionPaths } from './build-schema.js';
import type { EnvUse } from './env-values.js';
import { SECTIONS, type KernelConfig, type Section } from './kernel-schema.js';
import type { InstanceConfig, SpoutConfig } from './types.js';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys every instance may carry besides its plugin's options. */
export const RESERVED = new Set(['use', 'enabled', 'events', 'filter']);

/**
 * The loaded configuration from validated, defaulted data: instances in file order with their
 * options split from the reserved keys, secret option paths and values, paths resolved.
 */
export function assemble(
  data: Raw,
  file: string,
  dir: string,
  plugins: Map<string, PluginDefinition>,
  secretValues: Set<string>,
  secretPaths: Array<Array<string | number>>,
  fromEnv: readonly EnvUse[] = [],
  resolved: ReadonlyMap<string, unknown> = new Map(),
): SpoutConfig {
  const secrets = new Set(secretValues);
  const strict = new Set<string>();
  const instances: InstanceConfig[] = [];
  for (const section of Object.keys(SECTIONS) as Section[]) {
    for (const [name, raw] of Object.entries((data[section] as Raw | undefined) ?? {})) {
      const value = raw as Raw;
      const plugin = plugins.get(`${section}.${name}`) ?? null;
      const options = Object.fromEntries(Object.entries(value).filter(([k]) => !RESERVED.has(k)));
      const fromEnv = secretPaths
        .filter((p) => p[0] === section && p[1] === name && p.length > 2)
        .map((p) => p.slice(2).join('.'));
      const fromSchema = plugin ? secretOptionPaths(plugin.options as Record<string, unknown>) : [];
      const secretOptions = [...new Set([...fromEnv, ...fromSchema])];
      for (const p of fromSchema) collectStrings(getPath(options, p), strict);
      instances.push({
        section,
        kind: SECTIONS[section],
        name,
        use: value.use as string,
        enabled: value.enabled !== false,
        events: (value.events as InstanceConfig['events']) ?? null,
        filter: (value.filter as InstanceConfig['filter']) ?? null,
        options,
        plugin,
        secretOptions,
        fingerprint: JSON.stringify([value.use, value.enabled, value.events, value.filter, options]),
        // Frozen shallowly: deepFreeze stops there, so what `resolve` made is the plugin's to use.
        ...(resolved.has(`${section}.${name}`)
          ? { resolved: Object.freeze({ value: resolved.get(`${section}.${name}`) }) }
          : {}),
      });
    }
  }
  // Instances keep the file's order across sections, as documented ("setup in config order").
  const order = Object.keys(data);
  instances.sort((a, b) => order.indexOf(a.section) - order.indexOf(b.section));
  const kernel = data as unknown as KernelConfig;
  if (kernel.auth.secret) strict.add(kernel.auth.secret);
  const redisPassword = passwordOf(kernel.engine.url);
  if (redisPassword) strict.add(redisPassword);
  // `url: ${REDIS_URL}` is the usual form: its password is what is secret (above), not where
  // Redis is — "Redis at [secret] is unreachable" would hide what an operator must check.
  secrets.delete(kernel.engine.url);
  return {
    log: kernel.log,
    storage: { path: resolve(dir, kernel.storage.path) },
    http: kernel.http,
    auth: kernel.auth,
    kernel: kernel.kernel,
    engine: kernel.engine,
    file,
    dir,
    instances,
    secrets: [...secrets],
    strictSecrets: [...strict],
    fromEnv: [...fromEnv],
  };
}

/** The password in a Redis URL (redis://user:password@host), decoded; '' when none. */
function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

function getPath(obj: Raw, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), obj);
}

function collectStrings(value: unknown, into: Set<string>): void {
  if (typeof value === 'string' && value !== '') into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
}
