import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, start } from '../helpers/cli.js';

const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** A folder holding a runnable config.yaml (replay input, console output, no fixed port). */
async function workspace(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'spout-cli-'));
  const file = join(dir, 'config.yaml');
  await writeFile(
    file,
    [
      'log: { level: info, format: json }',
      'http: { listen: "127.0.0.1:0" }',
      `storage: { path: ${JSON.stringify(join(dir, 'spout.json'))} }`,
      'kernel: { stopTimeout: 500ms }',
      'inputs:',
      '  feed: { use: replay }',
      'outputs:',
      '  out: { use: console }',
    ].join('\n'),
  );
  return { dir, file };
}

/** Nothing of Node's own parseArgs wording may reach the user. */
const NODE_TEXT = /To specify a positional argument|Unknown option '|ERR_PARSE_ARGS/;

describe('spout --version (built CLI)', () => {
  it('prints the version from package.json, wherever it is run from', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'spout-cli-version-'));
    for (const flag of ['--version', '-V']) {
      const r = await run([flag], { cwd: elsewhere });
      expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    }
  });
});

describe('per-command help (built CLI)', () => {
  it.each([
    [['run', '--help'], 'run', []],
    [['check', '--help'], 'check', ['--json']],
    [
      ['token', '--help'],
      'token',
      ['--sub <name>', '--ttl <duration>', '--scope <scopes>', '--force', '--json'],
    ],
    [['help', 'token'], 'token', ['--sub <name>', '--force']],
    [
      ['deliveries', '--help'],
      'deliveries',
      ['--status <status>', '--dead', '--output <name>', '--since <when>', '--limit <n>', '--json'],
    ],
    [['deliveries', 'list', '-h'], 'deliveries', ['--limit <n>']],
    [['help', 'stats'], 'stats', ['--since <when>', '--json']],
    [['backup', '--help'], 'backup', []],
    [['help', 'restore'], 'restore', []],
    [['test', '--help'], 'test', ['--event <type>', '--json']],
  ])('spout %j prints the usage and options of %s, exit 0', async (args, command, options) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: spout ${command}\\b`));
    expect(r.stdout).toMatch(/-c, --config <path>/);
    expect(r.stdout).toMatch(/-h, --help/);
    for (const option of options) expect(r.stdout).toContain(option);
    // Only this command's options: not those of every other command.
    if (command !== 'token') expect(r.stdout).not.toContain('--sub');
    if (command !== 'deliveries') expect(r.stdout).not.toContain('--dead');
  });

  it('spout --help and spout help list every command, exit 0', async () => {
    for (const args of [['--help'], ['help'], ['-h']]) {
      const r = await run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: spout <command> \[options\]/);
      for (const command of [
        'run',
        'check',
        'schema',
        'demo',
        'stats',
        'deliveries',
        'token',
        'backup',
        'restore',
        'test',
      ])
        expect(r.stdout).toMatch(new RegExp(`\\n  ${command} +\\S`));
      expect(r.stdout).toMatch(/-V, --version/);
      expect(r.stdout).toMatch(/Exit status: 0 ok, 1 runtime failure, 2 configuration or usage error/);
    }
  });
});

describe('usage errors (built CLI)', () => {
  it('an unknown flag is a usage error (SPOUT_CLI_USAGE, exit 2) in Spout’s words, not Node’s', async () => {
    for (const args of [
      ['check', '--foo'],
      ['--foo', 'check'],
      ['token', 'list', '--foo'],
    ]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^spout (check|token): unknown option "--foo" \(SPOUT_CLI_USAGE\)\n/);
      expect(r.stderr).not.toMatch(NODE_TEXT);
      expect(r.stderr).toMatch(/\nUsage: spout (check|token)/);
    }
  });

  it('a mistyped command is answered with the nearest one', async () => {
    const r = await run(['chek']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^spout: unknown command "chek"; did you mean check\? \(SPOUT_CLI_USAGE\)\n/);
    expect(r.stderr).toMatch(/Usage: spout <command>/);
    const help = await run(['help', 'tokne']);
    expect(help.code).toBe(2);
    expect(help.stderr).toMatch(/unknown command "tokne"; did you mean token\? \(SPOUT_CLI_USAGE\)/);
  });

  it('a mistyped flag is answered with the nearest one of that command', async () => {
    const r = await run(['check', '--jsno']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^spout check: unknown option "--jsno"; did you mean --json\? \(SPOUT_CLI_USAGE\)\n/,
    );
    const token = await run(['token', 'create', '--sbu', 'alice']);
    expect(token.code).toBe(2);
    expect(token.stderr).toMatch(/unknown option "--sbu"; did you mean --sub\? \(SPOUT_CLI_USAGE\)/);
    const retry = await run(['deliveries', 'retry', '--daed']);
    expect(retry.stderr).toMatch(/unknown option "--daed"; did you mean --dead\? \(SPOUT_CLI_USAGE\)/);
  });

  it('a missing option value or an extra argument is a usage error too', async () => {
    const missing = await run(['stats', '--since']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^spout stats: --since <when> needs a value \(SPOUT_CLI_USAGE\)\n/);
    expect(missing.stderr).not.toMatch(NODE_TEXT);
    const extra = await run(['check', 'extra']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/^spout check: unexpected argument "extra" \(SPOUT_CLI_USAGE\)\n/);
  });
});

describe('commands and options as before (built CLI)', () => {
  it('spout alone is spout run (the configuration from the working folder)', async () => {
    const { dir } = await workspace();
    const p = start([], { cwd: dir });
    await p.waitFor('Spout running');
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });

  it('spout -c FILE alone runs that file', async () => {
    const { file } = await workspace();
    const p = start(['-c', file], { cwd: await mkdtemp(join(tmpdir(), 'spout-cli-elsewhere-')) });
    await p.waitFor('Spout running');
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });

  it('options work before or after the command', async () => {
    const { file } = await workspace();
    const cwd = await mkdtemp(join(tmpdir(), 'spout-cli-elsewhere-'));
    for (const args of [
      ['check', '--json', '-c', file],
      ['-c', file, 'check', '--json'],
      ['--json', '--config', file, 'check'],
      [`--config=${file}`, 'check', '--json'],
    ]) {
      const r = await run(args, { cwd });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ file: expect.stringContaining('config.yaml') });
    }
  });
});
