import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { loadConfig as loadWith, parseConfig as parseWith, type LoadOptions } from '../../src/config/load.js';
import type { SpoutConfig } from '../../src/config/types.js';

/** `parseConfig` with the built-in plugins, as the CLI calls it. */
export function parseConfig(
  text: string,
  file: string,
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SpoutConfig> {
  return parseWith(text, file, dir, env, BUILTIN_PLUGINS);
}

/** `loadConfig` with the built-in plugins, as the CLI calls it. */
export function loadConfig(options: Omit<LoadOptions, 'catalogue'>): Promise<SpoutConfig> {
  return loadWith({ ...options, catalogue: BUILTIN_PLUGINS });
}
