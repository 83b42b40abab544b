import type { EnvUse } from './env-values.js';
import type { Section, Filter, KernelConfig } from './kernel-schema.js';
import type { EventPattern, PluginDefinition, PluginKind } from '../plugin/types.js';

/** One configured plugin instance, validated and frozen. */
export interface InstanceConfig {
  section: Section;
  kind: PluginKind;
  /** The instance name: its key under the section. Unique across all sections. */
  name: string;
  use: string;
  enabled: boolean;
  /** Output routing as written, or null when the YAML has no `events:` (the plugin's default). */
  events: readonly EventPattern[] | null;
  filter: Readonly<Filter> | null;
  options: Readonly<Record<string, unknown>>;
  /** Present for enabled instances; disabled ones are not loaded. */
  plugin: PluginDefinition | null;
  /** Dotted option paths that are secret (masked by `spout check`). */
  secretOptions: readonly string[];
  /** Equal fingerprints mean equal settings (SIGHUP restarts an instance only when it changed). */
  fingerprint: string;
  /**
   * What the plugin's `resolve` made of `options` when the configuration was loaded (it becomes
   * `ctx.options`). Absent when the plugin has no `resolve` or the configuration was built in
   * code: the kernel then resolves at setup.
   */
  resolved?: { readonly value: unknown };
}

/** The whole loaded configuration. Deep-frozen. */
export interface SpoutConfig extends KernelConfig {
  /** The file as named on the command line (used in messages). */
  file: string;
  /** Folder of the config file: relative paths in it start here. */
  dir: string;
  instances: readonly InstanceConfig[];
  /** Values that must never be printed: every `${VAR}` value and every secret option. */
  secrets: readonly string[];
  /** Values of options marked secret and of `auth.secret`: scrubbed whatever their length. */
  strictSecrets: readonly string[];
  /**
   * Every value read by a `${VAR}` reference, with its variable and key: messages name the
   * variable instead of echoing the value. Absent in configurations built in code.
   */
  fromEnv?: readonly EnvUse[];
}
