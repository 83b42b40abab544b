import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolve as resolveImport } from 'import-meta-resolve';
import type { PluginCatalogue } from '../plugin/catalogue.js';
import type { PluginDefinition, PluginKind } from '../plugin/types.js';
import { createError, type SpoutError } from './errors.js';
import { didYouMean } from '../config/suggest.js';

const KINDS: PluginKind[] = ['input', 'detector', 'output', 'job'];

/** Either the plugin, or the coded error saying why `use:` could not be resolved. */
export type Resolution =
  { ok: true; plugin: PluginDefinition; from: string } | { ok: false; error: SpoutError };

const isPath = (use: string) =>
  use.startsWith('./') || use.startsWith('../') || isAbsolute(use) || use.startsWith('file:');

/**
 * Resolve `use:` for a section of `kind`: a built-in of that kind, else a path (relative to the
 * config file's folder), else an installed npm package (looked up from the config file's folder,
 * then from Spout's own). Never throws: problems come back as coded errors.
 */
export async function resolvePlugin(
  kind: PluginKind,
  use: string,
  baseDir: string,
  catalogue: PluginCatalogue,
): Promise<Resolution> {
  const builtin = catalogue[kind][use];
  if (builtin) return check(kind, use, (await builtin()).default, `built-in ${kind} "${use}"`);
  const other = KINDS.find((k) => k !== kind && catalogue[k][use]);
  if (other) {
    return fail(
      'SPOUT_PLUGIN_WRONG_KIND',
      `"${use}" is a built-in ${other} plugin, not ${article(kind)}; move it under ${other}s:`,
    );
  }
  if (isPath(use)) {
    const file = use.startsWith('file:') ? new URL(use).pathname : resolve(baseDir, use);
    if (!existsSync(file))
      return fail(
        'SPOUT_PLUGIN_NOT_FOUND',
        `no plugin file at ${file}; check the path (relative paths start at the config file's folder)`,
      );
    return load(kind, use, pathToFileURL(file).href, file);
  }
  // Resolved as `import` would from the config file's folder (ESM-only packages included).
  const fromConfig = tryResolve(use, pathToFileURL(join(baseDir, 'config.yaml')).href);
  if (fromConfig) return load(kind, use, fromConfig, `package "${use}"`);
  try {
    return check(kind, use, pickExport(await import(use)), `package "${use}"`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${use}'`)) {
      const names = Object.keys(catalogue[kind]).join(', ') || 'none yet';
      return fail(
        'SPOUT_PLUGIN_NOT_FOUND',
        `unknown ${kind} plugin "${use}"${didYouMean(use, Object.keys(catalogue[kind]))}; built-in ${kind}s: ${names}; or give a path (./my-plugin.js) or an installed npm package`,
      );
    }
    return fail(
      'SPOUT_PLUGIN_INVALID',
      `package "${use}" failed to load: ${(error as Error).message}`,
      error,
    );
  }
}

async function load(kind: PluginKind, use: string, href: string, from: string): Promise<Resolution> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(href)) as Record<string, unknown>;
  } catch (error) {
    return fail('SPOUT_PLUGIN_INVALID', `${from} failed to load: ${(error as Error).message}`, error);
  }
  return check(kind, use, pickExport(mod), from);
}

function pickExport(mod: Record<string, unknown>): unknown {
  return mod.default ?? mod.plugin;
}

function check(kind: PluginKind, use: string, value: unknown, from: string): Resolution {
  const shapeError = validateShape(value);
  if (shapeError) return fail('SPOUT_PLUGIN_INVALID', `${from} is not a Spout plugin: ${shapeError}`);
  const plugin = value as PluginDefinition;
  if (plugin.kind !== kind) {
    return fail(
      'SPOUT_PLUGIN_WRONG_KIND',
      `"${use}" is ${article(plugin.kind)} plugin, not ${article(kind)}; move it under ${plugin.kind}s:`,
    );
  }
  return { ok: true, plugin, from };
}

/** What is wrong with a module's export as a plugin definition, or null when it is one. */
export function validateShape(value: unknown): string | null {
  if (typeof value !== 'object' || value === null)
    return 'its default export is not an object (export default defineOutput({...}))';
  const p = value as Record<string, unknown>;
  if (!KINDS.includes(p.kind as PluginKind)) return `"kind" must be one of ${KINDS.join(', ')}`;
  if (typeof p.name !== 'string' || p.name === '') return '"name" must be a non-empty string';
  if (typeof p.options !== 'object' || p.options === null) return '"options" must be a JSON Schema object';
  if (typeof p.setup !== 'function') return '"setup" must be a function';
  if (p.start !== undefined && typeof p.start !== 'function') return '"start" must be a function when given';
  if (p.kind === 'output' && !Array.isArray(p.defaultEvents))
    return 'an output needs "defaultEvents" (an array of event types)';
  return null;
}

function tryResolve(id: string, parent: string): string | null {
  try {
    return resolveImport(id, parent);
  } catch {
    return null;
  }
}

const article = (kind: PluginKind) =>
  kind === 'input' ? 'an input' : kind === 'output' ? 'an output' : `a ${kind}`;

function fail(code: Parameters<typeof createError>[0], message: string, cause?: unknown): Resolution {
  return { ok: false, error: createError(code, message, {}, cause) };
}
