import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseListen } from '../../src/config/listen.js';
import { ConfigError } from '../../src/config/load.js';
import { parseConfig } from '../helpers/builtins.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const load = (yaml: string, env: Record<string, string> = {}) =>
  parseConfig(yaml, 'config.yaml', FIXTURES, env);

async function problems(yaml: string, env: Record<string, string> = {}) {
  const error = await load(yaml, env).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems.map((p) => `${p.line}:${p.col} ${p.path} ${p.message}`);
}

describe('config loader', () => {
  it('reports five different mistakes at once, each at its line and column', async () => {
    const yaml = [
      'inputs:', //                                    1
      '  feed: { use: replay }', //                    2
      'detectors:', //                                 3
      '  big: { use: no-such-plugin }', //             4  unknown plugin
      'outputs:', //                                   5
      '  wrong: { use: replay }', //                   6  wrong kind
      '  term:', //                                    7
      '    use: console', //                           8
      '    format: 42', //                             9  wrong type
      '  rec:', //                                    10
      '    use: ./plugins/recorder.mjs', //           11  missing required option "file"
      '    tag: ${UNDEFINED_VAR}', //                 12  undefined variable
    ].join('\n');
    expect(await problems(yaml)).toEqual([
      expect.stringMatching(/^4:15 detectors\.big\.use unknown detector plugin "no-such-plugin"/),
      expect.stringMatching(
        /^6:17 outputs\.wrong\.use "replay" is a built-in input plugin, not an output; move it under inputs:/,
      ),
      '9:13 outputs.term.format must be string',
      '11:5 outputs.rec.file missing required option "file"',
      expect.stringMatching(
        /^12:10 outputs\.rec\.tag environment variable UNDEFINED_VAR is not set and has no default/,
      ),
    ]);
  });

  it('substitutes ${VAR} and ${VAR:-default}, types whole references, and keeps $${ literal', async () => {
    const config = await load(
      [
        'http: { listen: "127.0.0.1:${PORT}" }',
        'inputs:',
        '  feed:',
        '    use: replay',
        '    intervalMs: ${INTERVAL}',
        '    delayMs: ${DELAY:-5}',
        'outputs:',
        '  rec: { use: ./plugins/recorder.mjs, file: "$${HOME}/x", tag: "${TAG:-plain}" }',
      ].join('\n'),
      { PORT: '9999', INTERVAL: '250' },
    );
    expect(config.http.listen).toBe('127.0.0.1:9999');
    const feed = config.instances.find((i) => i.name === 'feed');
    expect(feed?.options).toMatchObject({ intervalMs: 250, delayMs: 5 });
    expect(config.instances.find((i) => i.name === 'rec')?.options).toMatchObject({
      file: '${HOME}/x',
      tag: 'plain',
    });
    expect(config.secrets).toEqual(expect.arrayContaining(['9999', '250']));
  });

  it('fills defaults and deep-freezes the result', async () => {
    const config = await load('outputs:\n  term: { use: console }\n');
    expect(config.log).toEqual({ level: 'info', format: 'pretty' });
    expect(config.http).toEqual({ listen: '127.0.0.1:8080', enabled: true });
    expect(config.kernel.stopTimeout).toBe('5s');
    const term = config.instances[0];
    expect(term?.options).toEqual({ format: 'pretty' });
    expect(term?.enabled).toBe(true);
    expect(Object.isFrozen(term?.options)).toBe(true);
    expect(() => {
      (config.log as { level: string }).level = 'debug';
    }).toThrow(TypeError);
  });

  it('accepts a disabled instance with unset variables and an unloadable plugin', async () => {
    const config = await load(
      'outputs:\n  term: { use: console }\n  later:\n    use: not-installed-yet\n    enabled: false\n    token: ${SOME_TOKEN}\n',
    );
    expect(config.instances.map((i) => [i.name, i.enabled, i.plugin?.name ?? null])).toEqual([
      ['term', true, 'console'],
      ['later', false, null],
    ]);
  });

  it('rejects unknown keys at the key, routing on non-outputs, and bad routing values', async () => {
    expect(
      await problems(
        [
          'lgo: { level: info }',
          'inputs:',
          '  feed: { use: replay, events: [tx.seen] }',
          'outputs:',
          '  term: { use: console, events: [whale.spotted], filter: { minBtc: -1 } }',
        ].join('\n'),
      ),
    ).toEqual([
      '1:1 lgo unknown key "lgo"',
      '3:24 inputs.feed.events unknown key "events"',
      expect.stringMatching(/^5:34 outputs\.term\.events\.0 must be one of: \*, tx\.\*, /),
      '5:68 outputs.term.filter.minBtc must be >= 0',
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with their position', async () => {
    expect(await problems('outputs:\n  term: { use: console\n')).toEqual([
      expect.stringMatching(/^3:1 {2}YAML syntax: Flow map/),
    ]);
    expect(await problems('outputs:\n  term: { use: console, tag: ${X} }\n')).toEqual([
      expect.stringMatching(/quote values that hold \$\{VAR\}/),
    ]);
    expect(await problems('outputs:\n  term: { use: console }\n  term: { use: console }\n')).toEqual([
      expect.stringMatching(/^3:3 {2}YAML syntax: Map keys must be unique/),
    ]);
  });

  it('requires instance names to be unique across sections', async () => {
    expect(await problems('inputs:\n  same: { use: replay }\noutputs:\n  same: { use: console }\n')).toEqual([
      '4:3 outputs.same instance name "same" is already used in inputs:; names must be unique',
    ]);
  });

  it('validates durations and listen addresses with a hint', async () => {
    expect(
      await problems(
        'kernel: { stopTimeout: soon }\nhttp: { listen: "nowhere" }\noutputs:\n  t: { use: console }\n',
      ),
    ).toEqual([
      '1:24 kernel.stopTimeout must be a duration such as 30s, 5m, 1h or 7d',
      '2:17 http.listen must be host:port, [ipv6]:port or a port, e.g. 127.0.0.1:8080; the port is missing',
    ]);
  });

  it('parses http.listen strictly when the file is validated, each mistake at its line and column', async () => {
    const listen = (value: string) =>
      problems(`http:\n  listen: "${value}"\noutputs:\n  t: { use: console }\n`);
    expect(await listen('localhost8080')).toEqual([
      expect.stringMatching(/^2:11 http\.listen must be host:port.*the port is missing$/),
    ]);
    expect(await listen('1.2.3.4:99999')).toEqual([
      expect.stringMatching(/^2:11 http\.listen must be .*the port must be a whole number from 0 to 65535$/),
    ]);
    expect(await listen('[::1:80')).toEqual([expect.stringMatching(/^2:11 http\.listen .*no closing "\]"/)]);
    expect(await listen('::1:80')).toEqual([
      expect.stringMatching(/^2:11 http\.listen .*IPv6 address goes in brackets/),
    ]);
    for (const [value, host, port] of [
      ['8080', '127.0.0.1', 8080],
      [':8080', '127.0.0.1', 8080],
      ['[::1]:9000', '::1', 9000],
      ['0.0.0.0:80', '0.0.0.0', 80],
    ] as const) {
      const config = await load(`http: { listen: "${value}" }\noutputs:\n  t: { use: console }\n`);
      expect(parseListen(config.http.listen)).toEqual({ host, port });
    }
  });

  it('needs at least one instance', async () => {
    expect(await problems('log: { level: info }\n')).toEqual([expect.stringMatching(/no plugin instances/)]);
  });

  it('marks options declared secret and every ${VAR} value as secrets', async () => {
    const config = await load(
      'outputs:\n  rec: { use: ./plugins/recorder.mjs, file: "${OUT_FILE}", token: literal-token-123 }\n',
      { OUT_FILE: '/tmp/secret-path.log' },
    );
    const rec = config.instances[0];
    expect(rec?.secretOptions).toEqual(expect.arrayContaining(['file', 'token']));
    expect(config.secrets).toEqual(['/tmp/secret-path.log']);
    expect(config.strictSecrets).toEqual(['literal-token-123']);
  });
});

describe('use: resolution', () => {
  it('loads a plugin from an installed npm package, looked up from the config folder', async () => {
    const { mkdtemp, mkdir, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'spout-pkg-'));
    const pkg = join(dir, 'node_modules', 'spout-plugin-hello');
    await mkdir(pkg, { recursive: true });
    await writeFile(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'spout-plugin-hello', type: 'module', main: 'index.js' }),
    );
    await writeFile(
      join(pkg, 'index.js'),
      "export default { kind: 'output', name: 'hello', options: { type: 'object', properties: { greeting: { type: 'string', default: 'hi' } } }, defaultEvents: ['*'], setup: () => ({ deliver() {} }) };",
    );
    const config = await parseConfig(
      'outputs:\n  hello: { use: spout-plugin-hello }\n',
      'config.yaml',
      dir,
      {},
    );
    expect(config.instances[0]).toMatchObject({ use: 'spout-plugin-hello', options: { greeting: 'hi' } });
    expect(config.instances[0]?.plugin?.name).toBe('hello');

    // An ESM-only package (exports with only an "import" condition) resolves too.
    const esm = join(dir, 'node_modules', 'spout-plugin-esm');
    await mkdir(esm, { recursive: true });
    await writeFile(
      join(esm, 'package.json'),
      JSON.stringify({ name: 'spout-plugin-esm', type: 'module', exports: { '.': { import: './main.js' } } }),
    );
    await writeFile(
      join(esm, 'main.js'),
      "export default { kind: 'output', name: 'esm', options: { type: 'object' }, defaultEvents: ['*'], setup: () => ({ deliver() {} }) };",
    );
    const esmConfig = await parseConfig('outputs:\n  e: { use: spout-plugin-esm }\n', 'config.yaml', dir, {});
    expect(esmConfig.instances[0]?.plugin?.name).toBe('esm');

    await writeFile(join(dir, 'not-a-plugin.js'), 'export default { nothing: true };');
    const other = await parseConfig(
      'outputs:\n  hello: { use: ./not-a-plugin.js }\n',
      'config.yaml',
      dir,
      {},
    ).catch((e: ConfigError) => e);
    expect((other as ConfigError).problems[0]?.message).toMatch(
      /is not a Spout plugin: "kind" must be one of input, detector, output, job/,
    );
  });
});
