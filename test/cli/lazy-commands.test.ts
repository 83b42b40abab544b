import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { childEnv } from '../helpers/env.js';

// A module hook, registered before the CLI starts, that names on stderr every file module resolved.
const HOOKS = `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith('file:')) process.stderr.write('RESOLVED ' + result.url + '\\n');
  return result;
}`;
const REGISTER = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}));`;

const COMMAND_MODULES = [
  'run',
  'check',
  'schema',
  'demo',
  'stats',
  'deliveries',
  'token',
  'backup',
  'test-send',
  'record',
  'backtest',
];

/** The CLI's own command modules (src/cli/<name>.js) that `spout …args` loaded, and its stdout. */
async function commandModulesOf(args: string[]): Promise<{ loaded: string[]; stdout: string }> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, CLI, ...args],
    { env: childEnv() },
  );
  const loaded = new Set<string>();
  for (const line of stderr.split('\n')) {
    const name = /^RESOLVED file:.*\/dist\/src\/cli\/([\w-]+)\.js$/.exec(line)?.[1];
    if (name && COMMAND_MODULES.includes(name)) loaded.add(name);
  }
  return { loaded: [...loaded].sort(), stdout };
}

describe('each command loads only its own code', () => {
  it('`spout --version` and `spout --help` load no command module', async () => {
    const version = await commandModulesOf(['--version']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect(version.loaded).toEqual([]);
    const help = await commandModulesOf(['--help']);
    expect(help.stdout).toContain('backtest');
    expect(help.loaded).toEqual([]);
  });

  it('`spout schema` loads the schema command and none of the others (run, backtest, demo, token…)', async () => {
    const schema = await commandModulesOf(['schema']);
    expect(JSON.parse(schema.stdout)).toHaveProperty('properties');
    expect(schema.loaded).toEqual(['schema']);
  });
});
