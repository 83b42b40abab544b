import { open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createError, isSpoutError } from '../kernel/errors.js';
import type { PluginCatalogue } from '../plugin/catalogue.js';
import { assemble } from './assemble.js';
import { ConfigError, tooLarge, MAX_CONFIG_BYTES } from './config-error.js';
import type { EnvUse } from './env-values.js';
import { hideEnvValues } from './env-values.js';
import { deepFreeze } from './freeze.js';
import { dedupe } from './problems.js';
import { pluginProblems, readDocument, resolveInstances, schemaProblems, toData } from './stages.js';
import type { SpoutConfig } from './types.js';

export { ConfigError, MAX_CONFIG_BYTES } from './config-error.js';

export interface LoadOptions {
  /** Path of the YAML file. */
  file: string;
  /** How to name the file in messages (default: `file`). */
  shownAs?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The plugins `use:` names without a path (the CLI gives the built-ins). */
  catalogue: PluginCatalogue;
}

/**
 * Load a configuration: YAML → `${VAR}` substitution → plugin resolution → one JSON Schema
 * (kernel + every used plugin) → defaults → deep freeze.
 *
 * Errors: `SPOUT_CONFIG_NOT_FOUND` when the file cannot be read; a {@link ConfigError} listing
 * every problem found (syntax, unset variables, unknown or wrong-kind plugins, schema
 * violations) as `FILE:LINE:COL  key.path  message`, or the one limit a hostile file broke (over
 * {@link MAX_CONFIG_BYTES}, too many or too large aliases, too deep nesting). No message contains
 * a value read from the environment: problems name the variable instead.
 */
export async function loadConfig(options: LoadOptions): Promise<SpoutConfig> {
  const path = resolve(options.file);
  const shownAs = options.shownAs ?? options.file;
  return parseConfig(
    await readConfigFile(path, shownAs),
    shownAs,
    dirname(path),
    options.env,
    options.catalogue,
  );
}

/**
 * Read the file as UTF-8 text, refusing (SPOUT_CONFIG_INVALID) one over {@link MAX_CONFIG_BYTES}:
 * a regular file by its size before reading anything, anything else (a pipe) once that much is read.
 */
async function readConfigFile(path: string, shownAs: string): Promise<string> {
  const cannotRead = (error: unknown) =>
    createError(
      'SPOUT_CONFIG_NOT_FOUND',
      `Cannot read the configuration file ${shownAs} (${(error as NodeJS.ErrnoException).code ?? String(error)}). ` +
        `Pass --config PATH, set SPOUT_CONFIG, or copy config.example.yaml to config.yaml.`,
      {},
      error,
    );
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw cannotRead(error);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw cannotRead(Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
    if (info.isFile() && info.size > MAX_CONFIG_BYTES) throw tooLarge(shownAs, info.size);
    const buffer = Buffer.allocUnsafe(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      length += bytesRead;
      if (bytesRead === 0 || length === buffer.length) break;
    }
    if (length > MAX_CONFIG_BYTES) throw tooLarge(shownAs);
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    throw isSpoutError(error) ? error : cannotRead(error);
  } finally {
    await handle.close();
  }
}

/**
 * {@link loadConfig} on text already read; `dir` is where relative paths start. Whatever goes
 * wrong while loading comes out as a {@link ConfigError} (or another coded error), with no value
 * from the environment in its message.
 */
export async function parseConfig(
  text: string,
  file: string,
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
  catalogue: PluginCatalogue,
): Promise<SpoutConfig> {
  const read: EnvUse[] = [];
  try {
    return await parse(text, file, dir, env, read, catalogue);
  } catch (error) {
    if (error instanceof ConfigError && error.secrets.length === 0) error.secrets = read.map((u) => u.value);
    if (isSpoutError(error)) throw error;
    // Unforeseen (a plugin's schema ajv cannot compile, a stack overflow on a hostile file): still
    // a one-line reason at the file, not a stack trace.
    const reason = hideEnvValues(String((error as Error).message ?? error).split('\n')[0] as string, read);
    const wrapped = new ConfigError([
      { file, line: 1, col: 1, path: '', message: `cannot be loaded: ${reason}` },
    ]);
    wrapped.secrets = read.map((u) => u.value);
    throw wrapped;
  }
}

async function parse(
  text: string,
  file: string,
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
  read: EnvUse[],
  catalogue: PluginCatalogue,
): Promise<SpoutConfig> {
  const { doc, lines } = readDocument(text, file);
  const parsed = toData(doc, lines, file, dir, env);
  read.push(...parsed.uses);
  const { plugins, instanceSchemas } = await resolveInstances(parsed, catalogue);
  schemaProblems(parsed, instanceSchemas);
  const resolved = await pluginProblems(parsed, plugins);
  if (parsed.problems.length > 0) {
    const error = new ConfigError(dedupe(parsed.problems));
    error.secrets = [...parsed.secretValues];
    throw error;
  }
  return deepFreeze(
    assemble(parsed.data, file, dir, plugins, parsed.secretValues, parsed.secretPaths, parsed.uses, resolved),
  );
}
