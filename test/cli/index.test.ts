import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import type { CliEnv } from '../../src/cli/io.js';

const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** runCli in-process with stdout and stderr captured apart; the process's own streams are watched. */
async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const env: CliEnv = {
    argv,
    env: {},
    cwd: '/nonexistent',
    isTTY: false,
    io: { out: (t) => void (out += t), err: (t) => void (err += t) },
    onSignal: () => {},
  };
  const code = await runCli(env);
  return { code, out, err };
}

describe('runCli (in-process)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes help, version and usage errors only through cli.io and returns the status, never exiting', async () => {
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('process.exit called');
    }) as never);

    expect(await cli(['--version'])).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });

    const help = await cli(['token', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: spout token /);
    expect(help.err).toBe('');

    const unknown = await cli(['stats', '--jsno']);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toBe('');
    expect(unknown.err).toMatch(
      /^spout stats: unknown option "--jsno"; did you mean --json\? \(SPOUT_CLI_USAGE\)\n/,
    );

    const command = await cli(['deliverise']);
    expect(command.code).toBe(2);
    expect(command.err).toMatch(/^spout: unknown command "deliverise"; did you mean deliveries\?/);

    expect(stdout).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
  });

  it('each call parses afresh: options of one call do not leak into the next', async () => {
    expect((await cli(['check', '--jsno'])).code).toBe(2);
    const help = await cli(['check', '--help']);
    expect(help.code).toBe(0);
    expect(help.err).toBe('');
  });
});
