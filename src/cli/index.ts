import { parseArgs } from 'node:util';
import { backupCommand, restoreCommand } from './backup.js';
import { checkCommand } from './check.js';
import { demoCommand } from './demo.js';
import type { CliEnv } from './io.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { statsCommand } from './stats.js';
import { deliveriesCommand } from './deliveries.js';
import { tokenCommand } from './token.js';

const USAGE = `Usage: spout <command> [options]

Commands:
  run      Run the pipeline from the configuration (default)
  check    Validate the configuration and print the wired plugin graph
  schema   Print the configuration's JSON Schema (for editors)
  demo     Run the whole pipeline offline, with nothing to configure
  stats    Print daily, weekly and monthly statistics from the stored outcomes
  deliveries [list [--output NAME] [--status S] [--since WHEN] [--limit N] | show EVENT_ID | retry ID… | retry --dead]
           Webhook and e-mail deliveries: list, one event's deliveries with their attempts, send again
  token create --sub NAME [--ttl 12h] [--scope alerts:read,api:read] | list | revoke JTI [--force]
           Subscriber and API tokens (JWTs signed with auth.secret); revoke closes its connections
  backup PATH
           Write the whole store to one file (PATH or a file in the folder PATH), running or not
  restore PATH
           Replace the store with a backup; only while spout run is stopped

Options:
  -c, --config PATH   Configuration file (else $SPOUT_CONFIG, ./config.yaml, config.example.yaml)
      --json          check, stats: print JSON
      --since WHEN    stats, deliveries list: from an ISO date (2026-11-01) or that long ago (30d)
  -h, --help          Show this help

Exit status: 0 ok, 1 runtime failure, 2 configuration or usage error.
`;

/** Run the CLI; resolves with the exit status. Never calls `process.exit` itself. */
export async function runCli(cli: CliEnv): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: cli.argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
        since: { type: 'string' },
        status: { type: 'string' },
        dead: { type: 'boolean' },
        output: { type: 'string' },
        limit: { type: 'string' },
        force: { type: 'boolean' },
        sub: { type: 'string' },
        ttl: { type: 'string' },
        scope: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    cli.io.err(`spout: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? 'run';
  if (values.help || command === 'help') {
    cli.io.out(USAGE);
    return 0;
  }
  const flags = {
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(values.json ? { json: true } : {}),
    ...(values.since !== undefined ? { since: values.since } : {}),
  };
  switch (command) {
    case 'run':
      return runCommand(flags, cli);
    case 'check':
      return checkCommand(flags, cli);
    case 'schema':
      return schemaCommand(cli);
    case 'demo':
      return demoCommand(cli);
    case 'stats':
      return statsCommand(flags, cli);
    case 'deliveries':
      return deliveriesCommand(
        positionals.slice(1),
        {
          ...flags,
          ...(values.status !== undefined ? { status: values.status } : {}),
          ...(values.dead ? { dead: true } : {}),
          ...(values.output !== undefined ? { output: values.output } : {}),
          ...(values.limit !== undefined ? { limit: values.limit } : {}),
        },
        cli,
      );
    case 'token':
      return tokenCommand(
        positionals.slice(1),
        {
          ...flags,
          ...(values.sub !== undefined ? { sub: values.sub } : {}),
          ...(values.ttl !== undefined ? { ttl: values.ttl } : {}),
          ...(values.scope !== undefined ? { scope: values.scope } : {}),
          ...(values.force ? { force: true } : {}),
        },
        cli,
      );
    case 'backup':
      return backupCommand(positionals.slice(1), flags, cli);
    case 'restore':
      return restoreCommand(positionals.slice(1), flags, cli);
    default:
      cli.io.err(`spout: unknown command "${command}" (SPOUT_CLI_USAGE)\n\n${USAGE}`);
      return 2;
  }
}
