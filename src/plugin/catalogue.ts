import type { PluginDefinition, PluginKind } from './types.js';

/** Loads one plugin module on demand; its default export is the definition. */
export type PluginLoader = () => Promise<{ default: PluginDefinition }>;

/**
 * The plugins `use:` can name without a path, by kind and name. The composition root (the CLI)
 * hands in the built-ins; an embedder may hand in its own (or none).
 */
export type PluginCatalogue = Readonly<Record<PluginKind, Readonly<Record<string, PluginLoader>>>>;

/** No plugins by name: `use:` must give a path or a package. */
export const EMPTY_CATALOGUE: PluginCatalogue = Object.freeze({
  input: {},
  detector: {},
  output: {},
  job: {},
});
