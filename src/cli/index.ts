import { CommanderError, type Command } from 'commander';
import type { CliEnv } from './io.js';
import { buildProgram } from './program.js';

/**
 * Run the CLI; resolves with the exit status: 0 ok, 1 runtime failure, 2 configuration or usage
 * error. Never calls `process.exit` itself, and writes only through `cli.io`. Usage errors
 * (unknown command or option, missing or extra argument) name the code SPOUT_CLI_USAGE and
 * suggest the nearest command or option when one is close.
 */
export async function runCli(cli: CliEnv): Promise<number> {
  const { program, status } = buildProgram(cli);
  let failed: Command = program;
  for (const cmd of [program, ...program.commands])
    cmd.exitOverride((error) => {
      failed = cmd;
      throw error;
    });
  try {
    await program.parseAsync(arrange(cli.argv, program), { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version exit 0; help written to stderr instead of an error message: usage.
    if (error.exitCode === 0) return 0;
    if (error.code === 'commander.help') return 2;
    const where = failed === program ? 'spout' : `spout ${failed.name()}`;
    cli.io.err(`${where}: ${wording(error, failed)} (SPOUT_CLI_USAGE)\n\n`);
    failed.outputHelp({ error: true });
    return 2;
  }
  return status();
}

/** Commander's message in Spout's words: `unknown option "--jsno"; did you mean --json?`. */
function wording(error: CommanderError, command: Command): string {
  if (error.code === 'commander.excessArguments') {
    const extra = command.args.slice(command.registeredArguments.length);
    return `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `"${a}"`).join(' ')}`;
  }
  const missing = /^error: option '(.+)' argument missing$/.exec(error.message);
  if (missing) return `${missing[1]} needs a value`;
  let text = error.message.replace(/^error: /, '');
  let hint = '';
  const suggestion = /\s*\(Did you mean (.+)\?\)\s*$/.exec(text);
  if (suggestion) {
    hint = `; did you mean ${suggestion[1]}?`;
    text = text.slice(0, suggestion.index);
  }
  return text.replace(/'([^']*)'/g, '"$1"').replace(/\.\s*$/, '') + hint;
}

/**
 * The arguments in the order commander expects them, keeping what the CLI always accepted:
 * options may come before the command (`spout -c file check` is `spout check -c file`), and no
 * command at all means `run` (`spout`, `spout -c file`).
 */
function arrange(argv: string[], program: Command): string[] {
  const commands = program.commands;
  const takesValue = new Set<string>();
  for (const cmd of [program, ...commands])
    for (const option of cmd.options)
      if (option.required || option.optional)
        for (const flag of [option.short, option.long]) if (flag) takesValue.add(flag);
  /** Index of the first argument at or after `from` that is neither an option nor an option's value. */
  const operand = (from: number): number => {
    for (let i = from; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === '--') return i + 1 < argv.length ? i + 1 : -1;
      if (arg.length > 1 && arg.startsWith('-')) {
        if (takesValue.has(arg)) i++;
        continue;
      }
      return i;
    }
    return -1;
  };
  const at = operand(0);
  if (at === -1)
    return argv.some((arg) => ['-h', '--help', '-V', '--version'].includes(arg)) ? argv : ['run', ...argv];
  const name = argv[at]!;
  if (name === 'help') {
    // `help [COMMAND]` as `[COMMAND] --help` (commander's own help command would take its exit
    // status from process.exitCode); an unknown COMMAND is reported with its suggestion.
    const next = operand(at + 1);
    const asked = next === -1 ? 'help' : argv[next]!;
    if (asked === 'help') return ['--help'];
    return commands.some((cmd) => cmd.name() === asked) ? [asked, '--help'] : [asked];
  }
  return [name, ...argv.slice(0, at), ...argv.slice(at + 1)];
}
