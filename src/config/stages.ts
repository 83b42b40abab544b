import { resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { resolvePlugin } from '../kernel/loader.js';
import type { PluginCatalogue } from '../plugin/catalogue.js';
import { optionOf, problemsOf } from '../plugin/problems.js';
import type { OptionsContext, PluginDefinition } from '../plugin/types.js';
import { createAjv, describeAjvError } from './ajv.js';
import { checkAliases, MAX_ALIASED_VALUES } from './aliases.js';
import { RESERVED } from './assemble.js';
import { buildSchema, INSTANCE_NAME, instanceSchema, looseInstanceSchema } from './build-schema.js';
import { envNote, hideEnvValues, usesUnder, type EnvUse } from './env-values.js';
import { interpolate } from './interpolate.js';
import { SECTIONS, type Section } from './kernel-schema.js';
import { MAX_FLOW_NESTING, tooDeep } from './nesting.js';
import { at, type Problem } from './problems.js';
import { memoryOrderProblem } from './memory-order.js';
import { ConfigError, MAX_CONFIG_BYTES, tooLarge } from './config-error.js';

// The stages of reading a configuration, in order. The first two throw a ConfigError for a file
// that cannot be read as data at all; the others collect problems, so one pass reports them all.

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A configuration read as data, and the problems found so far. */
export interface Parsed {
  file: string;
  dir: string;
  doc: Document;
  lines: LineCounter;
  data: Raw;
  /** Every `${VAR}` read, with its key. */
  uses: EnvUse[];
  /** Keys whose variable is unset (already reported there). */
  unset: Set<string>;
  secretValues: Set<string>;
  secretPaths: Array<Array<string | number>>;
  problems: Problem[];
  /** True when `section.name` is an instance with `enabled: false` (its mistakes are not reported). */
  disabled(section: string, name: string): boolean;
}

/**
 * Stage 1, syntax: the size, nesting and alias limits a hostile file could break, then YAML
 * syntax. Throws a ConfigError for the first limit broken or the syntax errors (at most three).
 */
export function readDocument(text: string, file: string): { doc: Document; lines: LineCounter } {
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
  return { doc, lines };
}

/**
 * Stage 2, data: `${VAR}` substitution, then the document as data, which must be a mapping with
 * at least one plugin instance. Unset variables are problems of instances that are enabled.
 */
export function toData(
  doc: Document,
  lines: LineCounter,
  file: string,
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
): Parsed {
  const subst = interpolate(doc, env, lines, file);
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

  return {
    file,
    dir,
    doc,
    lines,
    data,
    uses,
    unset: new Set(subst.problems.map((p) => p.path)),
    secretValues: subst.secretValues,
    secretPaths: subst.secretPaths,
    problems,
    disabled,
  };
}

/**
 * Stage 3, instances: unique names, and each enabled instance's `use:` resolved from the
 * catalogue, a path or a package. Gives the plugins by `section.name` and the schema of each
 * instance (a loose one where the plugin could not be resolved, so its other keys are checked).
 */
export async function resolveInstances(
  parsed: Parsed,
  catalogue: PluginCatalogue,
): Promise<{
  plugins: Map<string, PluginDefinition>;
  instanceSchemas: Partial<Record<Section, Record<string, Record<string, unknown>>>>;
}> {
  const { doc, lines, file, dir, data, uses, problems } = parsed;
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
      const found = await resolvePlugin(SECTIONS[section], value.use, dir, catalogue);
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

  return { plugins, instanceSchemas };
}

/**
 * Stage 4, schema: the kernel's sections and every instance's options against one JSON Schema,
 * with defaults applied in place. A wrong type is reported once (not again by its other checks);
 * disabled instances and keys with an unset variable are not reported again.
 */
export function schemaProblems(
  parsed: Parsed,
  instanceSchemas: Partial<Record<Section, Record<string, Record<string, unknown>>>>,
): void {
  const { doc, lines, file, data, uses, unset, problems, disabled } = parsed;
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
  const memory = memoryOrderProblem(data);
  if (memory) problems.push(at(doc, lines, file, ['kernel', 'memory'], memory));
}

/**
 * Stage 5, plugins: each plugin's `validate` and `resolve`, on options with their defaults, for
 * every instance whose options passed the schema (the others' may not have the shape the check
 * expects), so one pass reports the schema's problems and every plugin's together. Gives what
 * each `resolve` made, by `section.name`: it becomes that instance's `ctx.options`.
 */
export async function pluginProblems(
  parsed: Parsed,
  plugins: Map<string, PluginDefinition>,
): Promise<Map<string, unknown>> {
  const { doc, lines, file, dir, data, uses, problems } = parsed;
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
  return resolved;
}
