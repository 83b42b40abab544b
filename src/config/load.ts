import { open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { createError, isSpoutError, SpoutError } from '../kernel/errors.js';
import { resolvePlugin } from '../kernel/loader.js';
import { optionOf, problemsOf } from '../plugin/problems.js';
import type { OptionsContext, PluginDefinition } from '../plugin/types.js';
import { createAjv, describeAjvError } from './ajv.js';
import { buildSchema, INSTANCE_NAME, instanceSchema, looseInstanceSchema } from './build-schema.js';
import { checkAliases, MAX_ALIASED_VALUES } from './aliases.js';
import { envNote, hideEnvValues, usesUnder, type EnvUse } from './env-values.js';
import { deepFreeze } from './freeze.js';
import { MAX_FLOW_NESTING, tooDeep } from './nesting.js';
import { interpolate } from './interpolate.js';
import { SECTIONS, type Section } from './kernel-schema.js';
import { formatProblem, locate, sortProblems, type Problem } from './problems.js';
import type { SpoutConfig } from './types.js';
import { assemble, RESERVED } from './assemble.js';

/** A configuration with problems: carries every one of them. Exit status 2. */
export class ConfigError extends SpoutError {
  readonly problems: Problem[];
  /** Values read from the environment so far: whoever prints this error scrubs them. */
  secrets: string[] = [];
  constructor(problems: Problem[]) {
    const sorted = sortProblems(problems);
    const n = sorted.length;
    super(
      'SPOUT_CONFIG_INVALID',
      `${n} problem${n === 1 ? '' : 's'} in the configuration:\n${sorted.map(formatProblem).join('\n')}`,
    );
    this.problems = sorted;
  }
}

export interface LoadOptions {
  /** Path of the YAML file. */
  file: string;
  /** How to name the file in messages (default: `file`). */
  shownAs?: string;
  env: Readonly<Record<string, string | undefined>>;
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

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
  return parseConfig(await readConfigFile(path, shownAs), shownAs, dirname(path), options.env);
}

/** Largest configuration file read, in bytes (1 MiB): a larger one is refused before it is read. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const tooLarge = (file: string, bytes?: number) =>
  new ConfigError([
    {
      file,
      line: 1,
      col: 1,
      path: '',
      message: `the file is ${bytes === undefined ? 'larger than 1 MiB' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`}; a configuration file may be at most 1 MiB (${MAX_CONFIG_BYTES} bytes)`,
    },
  ]);

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
): Promise<SpoutConfig> {
  const read: EnvUse[] = [];
  try {
    return await parse(text, file, dir, env, read);
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
): Promise<SpoutConfig> {
  if (text.length > MAX_CONFIG_BYTES / 4 && Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw tooLarge(file, Buffer.byteLength(text));
  }
  const deep = tooDeep(text);
  if (deep) {
    throw new ConfigError([
      {
        file,
        ...deep,
        path: '',
        message: `more than ${MAX_FLOW_NESTING} levels of { } and [ ] inside each other`,
      },
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // Later syntax errors are mostly echoes of the first ones.
    throw new ConfigError(
      doc.errors
        .filter((e, i, all) => all.findIndex((o) => o.linePos?.[0].line === e.linePos?.[0].line) === i)
        .slice(0, 3)
        .map((e) => ({
          file,
          line: e.linePos?.[0].line ?? 1,
          col: e.linePos?.[0].col ?? 1,
          path: '',
          message: `YAML syntax: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}${e.message.includes('${') ? ' (quote values that hold ${VAR} inside { } or [ ])' : ''}`,
        })),
    );
  }
  // Aliases are checked before the document becomes data: a "billion laughs" file would not fit.
  const aliasProblem = checkAliases(doc);
  if (aliasProblem) {
    const { line, col } = lines.linePos(aliasProblem.node.range?.[0] ?? 0);
    throw new ConfigError([{ file, line, col, path: '', message: aliasProblem.message }]);
  }
  const subst = interpolate(doc, env, lines, file);
  read.push(...subst.uses);
  const uses = subst.uses;
  const data: unknown = doc.toJS({ maxAliasCount: MAX_ALIASED_VALUES }) ?? {};
  if (!isObject(data)) {
    throw new ConfigError([
      {
        file,
        line: 1,
        col: 1,
        path: '',
        message: 'the file must be a mapping of keys (log:, inputs:, outputs:, …)',
      },
    ]);
  }
  if (!Object.keys(SECTIONS).some((s) => isObject(data[s]) && Object.keys(data[s] as Raw).length > 0)) {
    subst.problems.push({
      file,
      line: 1,
      col: 1,
      path: '',
      message: 'no plugin instances: add at least one under inputs:, detectors:, outputs: or jobs:',
    });
  }

  const disabled = (section: string, name: string) =>
    isObject(data[section]) &&
    (data[section] as Raw)[name] !== undefined &&
    ((data[section] as Raw)[name] as Raw).enabled === false;
  // A disabled instance may leave its variables unset: it is kept in the file, not run.
  const problems: Problem[] = subst.problems.filter((p) => {
    const [section, name] = p.path.split('.');
    return !(section && name && disabled(section, name));
  });

  const plugins = new Map<string, PluginDefinition>();
  const instanceSchemas: Partial<Record<Section, Record<string, Record<string, unknown>>>> = {};
  const seen = new Map<string, string>();
  for (const section of Object.keys(SECTIONS) as Section[]) {
    const entries = data[section];
    if (!isObject(entries)) continue;
    const schemas: Record<string, Record<string, unknown>> = (instanceSchemas[section] = {});
    for (const [name, value] of Object.entries(entries)) {
      if (seen.has(name)) {
        problems.push(
          at(
            doc,
            lines,
            file,
            [section],
            `instance name "${name}" is already used in ${seen.get(name)}:; names must be unique`,
            name,
            [section, name],
          ),
        );
      }
      seen.set(name, section);
      if (
        !isObject(value) ||
        typeof value.use !== 'string' ||
        value.enabled === false ||
        !new RegExp(INSTANCE_NAME).test(name)
      )
        continue;
      const found = await resolvePlugin(SECTIONS[section], value.use, dir);
      if (!found.ok) {
        // The name may have come from a variable: the message names the variable, not its value.
        const message = hideEnvValues(found.error.message, usesUnder(`${section}.${name}`, uses));
        problems.push(
          at(
            doc,
            lines,
            file,
            [section, name, 'use'],
            message + envNote(`${section}.${name}.use`, message, uses),
          ),
        );
        schemas[name] = looseInstanceSchema(section === 'outputs');
        continue;
      }
      plugins.set(`${section}.${name}`, found.plugin);
      schemas[name] = instanceSchema(found.plugin);
    }
  }

  const unset = new Set(subst.problems.map((p) => p.path));
  const ajv = createAjv();
  const validate = ajv.compile(buildSchema({ instances: instanceSchemas }));
  if (!validate(data)) {
    // A value of the wrong type also fails its enum/format/range checks: report the type only.
    const typed = new Set(
      (validate.errors ?? []).filter((e) => e.keyword === 'type').map((e) => e.instancePath),
    );
    for (const error of validate.errors ?? []) {
      if (error.keyword !== 'type' && typed.has(error.instancePath)) continue;
      const path = error.instancePath
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      if (path.length > 2 && disabled(path[0] as string, path[1] as string)) continue;
      // An unset variable is already reported at this key; its empty value would only repeat it.
      if (unset.has(path.join('.'))) continue;
      const { message, key, atKey } = describeAjvError(error);
      const full = key !== undefined ? [...path, key] : path;
      const note = envNote(full.join('.'), message, uses);
      problems.push(at(doc, lines, file, path, message + note, atKey ? key : undefined, full));
    }
  }
  // The plugins' own checks, on options with their defaults: every instance whose options passed
  // the schema (the others' options may not have the shape their check expects), so one pass
  // reports the schema's problems and every plugin's together. Each check may report several.
  const failed = (prefix: string) =>
    problems.some((p) => p.path === prefix || p.path.startsWith(`${prefix}.`));
  // `auth:` is passed to the checks: a broken one would only make them report it again.
  const authBroken = failed('auth');
  // What each plugin's `resolve` made of its options, by `section.name`: it becomes `ctx.options`.
  const resolved = new Map<string, unknown>();
  for (const [key, plugin] of plugins) {
    if ((!plugin.validate && !plugin.resolve) || authBroken || failed(key)) continue;
    const [section, name] = key.split('.') as [string, string];
    const options = Object.fromEntries(
      Object.entries(((data[section] as Raw)[name] as Raw) ?? {}).filter(([k]) => !RESERVED.has(k)),
    );
    const context: OptionsContext = {
      instance: name,
      resolve: (p) => resolve(dir, p),
      auth: isObject(data.auth) ? (data.auth as { secret?: string }) : {},
      httpEnabled: !(isObject(data.http) && (data.http as Raw).enabled === false),
    };
    try {
      await plugin.validate?.(options, context);
      if (plugin.resolve) resolved.set(key, await plugin.resolve(options, context));
    } catch (thrown) {
      for (const error of problemsOf(thrown)) {
        // An error may name the option it is about (`optionError`): the problem is located there.
        const optionPath = optionOf(error);
        const full = optionPath ? [section, name, ...optionPath.split('.')] : [section, name];
        // A plugin's message may quote an option: values from variables become their names.
        const message = hideEnvValues(String(error.message), [
          ...usesUnder(`${section}.${name}`, uses),
          ...usesUnder('auth', uses),
        ]);
        problems.push(at(doc, lines, file, full, message + envNote(full.join('.'), message, uses)));
      }
    }
  }
  if (problems.length > 0) {
    const error = new ConfigError(dedupe(problems));
    error.secrets = [...subst.secretValues];
    throw error;
  }

  return deepFreeze(
    assemble(data, file, dir, plugins, subst.secretValues, subst.secretPaths, uses, resolved),
  );
}

function at(
  doc: Document,
  lines: LineCounter,
  file: string,
  path: string[],
  message: string,
  atKey?: string,
  shown = path,
): Problem {
  const { line, col } = locate(doc, lines, path, atKey);
  return { file, line, col, path: shown.join('.'), message };
}

function dedupe(problems: Problem[]): Problem[] {
  const keys = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (keys.has(k)) return false;
    keys.add(k);
    return true;
  });
}
