import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { createError, SpoutError } from '../kernel/errors.js';
import { resolvePlugin } from '../kernel/loader.js';
import type { PluginDefinition } from '../plugin/types.js';
import { createAjv, describeAjvError } from './ajv.js';
import { buildSchema, INSTANCE_NAME, instanceSchema, looseInstanceSchema } from './build-schema.js';
import { deepFreeze } from './freeze.js';
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
 * violations) as `FILE:LINE:COL  key.path  message`. No message contains a secret value.
 */
export async function loadConfig(options: LoadOptions): Promise<SpoutConfig> {
  const path = resolve(options.file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw createError(
      'SPOUT_CONFIG_NOT_FOUND',
      `Cannot read the configuration file ${options.shownAs ?? options.file} (${(error as NodeJS.ErrnoException).code ?? String(error)}). ` +
        `Pass --config PATH, set SPOUT_CONFIG, or copy config.example.yaml to config.yaml.`,
      {},
      error,
    );
  }
  return parseConfig(text, options.shownAs ?? options.file, dirname(path), options.env);
}

/** {@link loadConfig} on text already read; `dir` is where relative paths start. */
export async function parseConfig(
  text: string,
  file: string,
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SpoutConfig> {
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
  const subst = interpolate(doc, env, lines, file);
  const data: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
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
        problems.push(at(doc, lines, file, [section, name, 'use'], found.error.message));
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
      problems.push(at(doc, lines, file, path, message, atKey ? key : undefined, full));
    }
  }
  if (problems.length === 0) {
    // The plugins' own checks, on options with their defaults (only for an otherwise valid file).
    for (const [key, plugin] of plugins) {
      if (!plugin.validate) continue;
      const [section, name] = key.split('.') as [string, string];
      const options = Object.fromEntries(
        Object.entries(((data[section] as Raw)[name] as Raw) ?? {}).filter(([k]) => !RESERVED.has(k)),
      );
      try {
        await plugin.validate(options, {
          instance: name,
          resolve: (p) => resolve(dir, p),
          auth: isObject(data.auth) ? (data.auth as { secret?: string }) : {},
          httpEnabled: !(isObject(data.http) && (data.http as Raw).enabled === false),
        });
      } catch (error) {
        // An error may name the option it is about (`optionPath`): the problem is located there.
        const optionPath = (error as { optionPath?: string }).optionPath;
        const full = optionPath ? [section, name, ...optionPath.split('.')] : [section, name];
        const text = (error as Error).message;
        const prefix = `${full.join('.')} `;
        problems.push(at(doc, lines, file, full, text.startsWith(prefix) ? text.slice(prefix.length) : text));
      }
    }
  }
  if (problems.length > 0) {
    const error = new ConfigError(dedupe(problems));
    error.secrets = [...subst.secretValues];
    throw error;
  }

  return deepFreeze(assemble(data, file, dir, plugins, subst.secretValues, subst.secretPaths));
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
