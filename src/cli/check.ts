import { createRedactor } from '../log/redact.js';
import { buildGraph, formatGraph } from './graph.js';
import type { CliEnv } from './io.js';
import { loadForCommand } from './load.js';

/**
 * `spout check`: validate the configuration and print the wired plugin graph (exit 0 or 2).
 * Outputs and jobs waiting for events no enabled plugin produces are warned about on stderr
 * (the exit status stays 0); `--json` also lists them under `warnings`.
 */
export async function checkCommand(flags: { config?: string; json?: boolean }, cli: CliEnv): Promise<number> {
  const config = await loadForCommand(flags.config, cli);
  if (typeof config === 'number') return config;
  const graph = buildGraph(config);
  const scrub = createRedactor(config.secrets, config.strictSecrets);
  cli.io.out(
    scrub(
      flags.json
        ? JSON.stringify({ file: config.file, ...graph }, null, 2) + '\n'
        : formatGraph(config, graph),
    ),
  );
  for (const w of graph.warnings) cli.io.err(scrub(`spout: warning: ${w.message}\n`));
  return 0;
}
