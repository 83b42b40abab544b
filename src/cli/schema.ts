import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { buildSchema } from '../config/build-schema.js';
import { SECTIONS, type Section } from '../config/kernel-schema.js';
import type { PluginDefinition } from '../plugin/types.js';
import type { CliEnv } from './io.js';

/** The JSON Schema of the whole file with every built-in plugin, for editors. */
export async function editorSchema(): Promise<Record<string, unknown>> {
  const choices: Partial<Record<Section, PluginDefinition[]>> = {};
  for (const [section, kind] of Object.entries(SECTIONS) as Array<[Section, keyof typeof BUILTIN_PLUGINS]>) {
    choices[section] = await Promise.all(
      Object.values(BUILTIN_PLUGINS[kind]).map(async (load) => (await load()).default),
    );
  }
  return buildSchema({ choices });
}

/** `spout schema`: print the JSON Schema (use with `# yaml-language-server: $schema=…`). */
export async function schemaCommand(cli: CliEnv): Promise<number> {
  cli.io.out(JSON.stringify(await editorSchema(), null, 2) + '\n');
  return 0;
}
