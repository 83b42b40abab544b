import { Command } from 'commander';
import type { CliEnv } from './io.js';
import { DEFAULT_MAX_SIZE } from '../backtest/files.js';
import { TEST_EVENTS } from './test-sample.js';
import { spoutVersion } from './version.js';

/** Width the help is wrapped to (fixed: the CLI does not look at the terminal). */
const HELP_WIDTH = 100;
const SINCE = 'from an ISO date (2026-11-01) or that long ago (30d, 12h)';

/**
 * The command line: every command with its arguments, options and help, on commander. Building
 * it has no side effects; parsing it runs the chosen command, whose exit status `status()`
 * returns afterwards. Commander never writes or exits by itself: output goes through `cli.io`,
 * and its exits are turned into exceptions by the caller (`exitOverride`, see `runCli`).
 *
 * To add a command: one `program.command(…)` block below, with `.summary` (the line in
 * `spout --help`), its arguments and options, and an action ending in
 * `done(import('./x.js').then((m) => m.xCommand(args, flags(cmd), cli)))`. `flags(cmd)` holds its
 * options and the global `--config`. Each command's module is imported only when that command
 * runs: `spout --version` and `--help` load none (108 ms against 470 ms when all were imported
 * up front), and `spout run` not the backtest, token, demo or delivery-listing code (0.8 MB less
 * heap at rest).
 */
export function buildProgram(cli: CliEnv): { program: Command; status(): number } {
  let status = 0;
  const done = async (command: Promise<number>) => void (status = await command);
  /** The command's options with the global ones (`config`); unset options are absent. */
  const flags = (cmd: Command) => cmd.optsWithGlobals();

  const program = new Command('spout')
    .usage('<command> [options]')
    .description(
      'Mempool whale alerts before they confirm. `spout` alone is `spout run`.\n' +
        'Options may come before or after the command.',
    )
    .configureOutput({
      writeOut: (text) => cli.io.out(text),
      writeErr: (text) => cli.io.err(text),
      // Errors are worded and written by runCli (with the SPOUT_CLI_USAGE code).
      outputError: () => {},
      getOutHelpWidth: () => HELP_WIDTH,
      getErrHelpWidth: () => HELP_WIDTH,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ showGlobalOptions: true, subcommandTerm: (cmd) => cmd.name() })
    .showSuggestionAfterError(true)
    .option(
      '-c, --config <path>',
      'configuration file (else $SPOUT_CONFIG, ./config.yaml, config.example.yaml)',
    )
    .version(spoutVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', 'show the usage and options of a command')
    .addHelpText(
      'afterAll',
      '\nExit status: 0 ok, 1 runtime failure, 2 configuration or usage error.\n' +
        'See "spout help COMMAND" (or spout COMMAND --help) for the options of each command.',
    );

  program
    .command('run')
    .summary('run the pipeline from the configuration (the default command)')
    .description(
      'Run the pipeline from the configuration until SIGINT or SIGTERM; SIGHUP reloads the file.\n' +
        '`spout` with no command runs this.',
    )
    .action((_opts, cmd: Command) => done(import('./run.js').then((m) => m.runCommand(flags(cmd), cli))));

  program
    .command('check')
    .summary('validate the configuration and print the wired plugin graph')
    .description(
      'Validate the configuration and print the wired plugin graph. Outputs and jobs waiting for\n' +
        'events nothing produces are warned about on stderr (the exit status stays 0).',
    )
    .option('--json', 'print the graph and the warnings as JSON')
    .action((_opts, cmd: Command) => done(import('./check.js').then((m) => m.checkCommand(flags(cmd), cli))));

  program
    .command('schema')
    .summary("print the configuration's JSON Schema (for editors)")
    .description(
      "Print the configuration's JSON Schema, for editors\n" +
        '(# yaml-language-server: $schema=… at the top of the file).',
    )
    .action(() => done(import('./schema.js').then((m) => m.schemaCommand(cli))));

  program
    .command('demo')
    .summary('run the whole pipeline offline, with nothing to configure')
    .description('Run the whole pipeline offline on the built-in simulator, with nothing to configure.')
    .action(() => done(import('./demo.js').then((m) => m.demoCommand(cli))));

  program
    .command('stats')
    .summary('print daily, weekly and monthly statistics from the stored outcomes')
    .description(
      'Print daily, weekly and monthly statistics from the stored outcomes, read from the store\n' +
        'file without writing it (safe while spout run runs).',
    )
    .option('--since <when>', `only outcomes ${SINCE}`)
    .option('--json', 'print JSON')
    .action((_opts, cmd: Command) => done(import('./stats.js').then((m) => m.statsCommand(flags(cmd), cli))));

  program
    .command('deliveries')
    .usage('[list [options] | show EVENT_ID|OUTPUT/EVENT_ID | retry ID… | retry --dead]')
    .summary('webhook and e-mail deliveries: list, show (with their attempts), send again')
    .description(
      'Webhook and e-mail deliveries.\n' +
        '  list (the default)   the matching deliveries, oldest first (with --limit N: the N newest)\n' +
        "  show ID              every output's delivery of one event (an event id or output/evt_…),\n" +
        '                       with its attempts\n' +
        '  retry ID…            send these deliveries again (retry --dead: every dead one)\n' +
        'list and show only read the store; retry hands its request to a running spout run.',
    )
    .argument('[args...]')
    .option('--output <name>', 'list: only this output instance’s deliveries')
    .option('--status <status>', 'list: pending, delivered, dead or disabled')
    .option('--since <when>', `list: created ${SINCE}`)
    .option('--limit <n>', 'list: the N newest only, newest first')
    .option('--dead', 'retry: every dead delivery')
    .option('--json', 'list, show: print JSON')
    .action((args: string[], _opts, cmd: Command) =>
      done(import('./deliveries.js').then((m) => m.deliveriesCommand(args, flags(cmd), cli))),
    );

  program
    .command('token')
    .usage('create --sub NAME [--ttl 12h] [--scope alerts:read,api:read] | list | revoke JTI [--force]')
    .summary('subscriber and API tokens (JWTs signed with auth.secret): create, list, revoke')
    .description(
      'Subscriber and API tokens: JWTs signed with auth.secret; the store keeps their claims.\n' +
        '  create   make a token for --sub and print it\n' +
        '  list     the tokens issued here, with their state\n' +
        '  revoke   revoke a token by its id (jti); a running spout closes its connections at once',
    )
    .argument('[args...]')
    .option('--sub <name>', 'create: who holds the token (required)')
    .option('--ttl <duration>', 'create: how long the token lasts, 1s to 366d (default 12h)')
    .option('--scope <scopes>', 'create: comma-separated scopes (default alerts:read,api:read)')
    .option('--force', 'revoke: also a jti not issued here (a token made elsewhere with the same secret)')
    .option('--json', 'create, list: print JSON')
    .action((args: string[], _opts, cmd: Command) =>
      done(import('./token.js').then((m) => m.tokenCommand(args, flags(cmd), cli))),
    );

  program
    .command('backup')
    .usage('PATH [options]')
    .summary('write the whole store to one file, running or not')
    .description(
      'Write the whole store to one file: PATH, or a file named by the time in the folder PATH.\n' +
        'Consistent while spout run runs (it writes the snapshot itself).',
    )
    .argument('[path]')
    .action((path: string | undefined, _opts, cmd: Command) =>
      done(
        import('./backup.js').then((m) => m.backupCommand(path === undefined ? [] : [path], flags(cmd), cli)),
      ),
    );

  program
    .command('restore')
    .usage('PATH [options]')
    .summary('replace the store with a backup (only while spout run is stopped)')
    .description('Replace the store with the backup in PATH; only while spout run is stopped.')
    .argument('[path]')
    .action((path: string | undefined, _opts, cmd: Command) =>
      done(
        import('./backup.js').then((m) =>
          m.restoreCommand(path === undefined ? [] : [path], flags(cmd), cli),
        ),
      ),
    );

  program
    .command('test')
    .usage('OUTPUT [options]')
    .summary('send one marked sample alert through one configured output and print the outcome')
    .description(
      'Send one sample event, marked as a test (txid 000…test, "TEST — sample alert from spout\n' +
        'test"), through the output instance OUTPUT on its own delivery path, and print what was\n' +
        'answered. One attempt, no retries; exit 0 when delivered, 1 when not (with the fix).',
    )
    .argument('<output>', 'the name of an output instance in the configuration')
    .option('--event <type>', `the sample to send: ${TEST_EVENTS.join(', ')}`)
    .option('--json', 'print the outcome as JSON')
    .action((output: string, _opts, cmd: Command) =>
      done(import('./test-send.js').then((m) => m.testCommand([output], flags(cmd), cli))),
    );

  program
    .command('record')
    .usage('--out FILE.ndjson.gz [--max-size 100MB] [--blocks N] [--force] [options]')
    .summary("record what the configuration's inputs publish, for spout backtest")
    .description(
      "Run the configuration's inputs only (no detectors, outputs or jobs) and write every event they\n" +
        'publish to a gzip NDJSON recording, until SIGINT or SIGTERM (or --blocks N blocks). A new\n' +
        'part (FILE.1.ndjson.gz, FILE.2…) starts each time one reaches --max-size.',
    )
    .option('--out <file>', 'the recording to write (FILE.ndjson.gz)')
    .option('--max-size <size>', `size of one part before the next starts (default ${DEFAULT_MAX_SIZE})`)
    .option('--blocks <n>', 'stop after recording N blocks')
    .option('--force', 'replace the recording (and its parts) when it exists')
    .action((_opts, cmd: Command) =>
      done(import('./record.js').then((m) => m.recordCommand(flags(cmd), cli))),
    );

  program
    .command('backtest')
    .usage('FILE… [--config FILE] [--json]')
    .summary('replay recordings through the detectors and correlation, and report the accuracy')
    .description(
      'Replay recordings of spout record at full speed, on their own clock, through the detectors\n' +
        'and the correlation job of --config (without it: whale 100 BTC, urgency, rbf, correlation),\n' +
        'and print how the predictions did: outcomes, ±1 block, ETA ranges, errors, score.',
    )
    .argument('<files...>', 'recordings, in any order (parts of one recording are put in order)')
    .option('--json', 'print the report as JSON')
    .action((files: string[], _opts, cmd: Command) =>
      done(import('./backtest.js').then((m) => m.backtestCommand(files, flags(cmd), cli))),
    );

  return { program, status: () => status };
}
