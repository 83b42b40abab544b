import type { TSchema } from '@sinclair/typebox';
import type { PluginDefinition } from '../plugin/types.js';
import { KernelSchema, SECTIONS, reservedProperties, type Section } from './kernel-schema.js';

type JsonSchema = Record<string, unknown>;

/** Instance names: what logs, metrics and the bus use as `source`. */
export const INSTANCE_NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';

/**
 * A copy of `schema` where a property with a default is never required: TypeBox marks every
 * non-Optional property required, but one with a default may be left out of the YAML (ajv fills
 * it in) and an editor must not flag it as missing.
 */
export function relaxDefaults<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(relaxDefaults) as T;
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) out[key] = relaxDefaults(value);
  const props = out.properties as Record<string, JsonSchema> | undefined;
  if (Array.isArray(out.required) && props) {
    out.required = (out.required as string[]).filter((k) => props[k]?.default === undefined);
  }
  return out as T;
}

/** The schema of one enabled instance: the plugin's options plus the reserved keys. */
export function instanceSchema(plugin: PluginDefinition): JsonSchema {
  const options = relaxDefaults(plugin.options as JsonSchema);
  return {
    ...options,
    type: 'object',
    properties: {
      ...reservedProperties(plugin.kind === 'output'),
      ...((options.properties as JsonSchema) ?? {}),
    },
    required: ['use', ...((options.required as string[]) ?? [])],
    additionalProperties: options.additionalProperties ?? false,
  };
}

/** The schema of an instance whose plugin is not loaded (disabled, or its `use:` failed). */
export function looseInstanceSchema(routed: boolean): JsonSchema {
  return {
    type: 'object',
    required: ['use'],
    properties: reservedProperties(routed),
    additionalProperties: true,
  };
}

/**
 * The whole-file schema: the kernel's keys, and each section's instances. `instances` maps a
 * section to its instance schemas by name (a config-specific schema); `choices` maps a section
 * to the plugins any instance may use (the editor schema `spout schema` prints).
 */
export function buildSchema(parts: {
  instances?: Partial<Record<Section, Record<string, JsonSchema>>>;
  choices?: Partial<Record<Section, PluginDefinition[]>>;
}): JsonSchema {
  const sections: JsonSchema = {};
  for (const section of Object.keys(SECTIONS) as Section[]) {
    const routed = section === 'outputs';
    const choices = parts.choices?.[section];
    const fallback = choices?.length
      ? {
          type: 'object',
          required: ['use'],
          properties: { use: { type: 'string', examples: choices.map((p) => p.name) } },
          // if/then rather than oneOf: a path or package in `use:` stays valid for the editor.
          allOf: choices.map((p) => ({
            if: { properties: { use: { const: p.name } }, required: ['use'] },
            then: {
              ...allowSubstitution(instanceSchema(p)),
              description: p.description ?? `${p.kind} "${p.name}"`,
            },
          })),
        }
      : looseInstanceSchema(routed);
    sections[section] = {
      type: 'object',
      default: {},
      description: `${SECTIONS[section]} plugin instances: name → settings (use: picks the plugin).`,
      propertyNames: { pattern: INSTANCE_NAME },
      properties: parts.instances?.[section] ?? {},
      additionalProperties: fallback,
    };
  }
  const kernel = relaxDefaults(KernelSchema as TSchema as JsonSchema);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Spout configuration',
    type: 'object',
    additionalProperties: false,
    properties: { ...(kernel.properties as JsonSchema), ...sections },
  };
}

/** Dotted paths of options marked `secret: true` in a plugin's schema (nested objects too). */
export function secretOptionPaths(schema: JsonSchema, prefix = ''): string[] {
  const out: string[] = [];
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [key, sub] of Object.entries(props)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (sub.secret === true || (sub.items as JsonSchema | undefined)?.secret === true) out.push(path);
    if (sub.type === 'object') out.push(...secretOptionPaths(sub, path));
  }
  return out;
}

const SUBSTITUTION = { type: 'string', pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}' };

/**
 * For the editor schema: an option written as `${VAR}` is checked only after substitution, so
 * every leaf option also accepts a string holding a `${VAR}` reference.
 */
export function allowSubstitution(schema: JsonSchema): JsonSchema {
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  if (!props) return schema;
  const next: Record<string, JsonSchema> = {};
  for (const [key, sub] of Object.entries(props)) {
    next[key] =
      sub.type === 'object' && sub.properties
        ? allowSubstitution(sub)
        : key === 'use'
          ? sub
          : { anyOf: [sub, SUBSTITUTION] };
  }
  return { ...schema, properties: next };
}
