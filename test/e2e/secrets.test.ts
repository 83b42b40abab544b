import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, start } from '../helpers/cli.js';

const RECORDER = fileURLToPath(new URL('../fixtures/plugins/recorder.mjs', import.meta.url));
const LEAKY = fileURLToPath(new URL('../fixtures/plugins/leaky.mjs', import.meta.url));
const SECRET = 'tok_8f2c9b1e5d7a4c3b-never-print-me';
const env = { DESK_TOKEN: SECRET, SPOUT_AUTH_SECRET: SECRET };

async function workspace(yaml: string) {
  const dir = await mkdtemp(join(tmpdir(), 'spout-secret-'));
  await writeFile(join(dir, 'config.yaml'), yaml.replaceAll('DIR', dir));
  return dir;
}

const VALID = [
  'log: { level: debug, format: json }',
  'http: { listen: "127.0.0.1:0" }',
  'storage: { path: DIR/spout.json }',
  'auth: { secret: "${SPOUT_AUTH_SECRET}" }',
  'inputs:',
  '  feed:',
  '    use: replay',
  '    items: [{ type: tx.removed, data: { txid: abc, reason: evicted } }]',
  'outputs:',
  '  desk:',
  `    use: ${RECORDER}`,
  '    file: DIR/desk.log',
  '    token: ${DESK_TOKEN}',
  '    tag: "prefix-${DESK_TOKEN}-suffix"',
].join('\n');

describe('secrets given through ${VAR} (built CLI)', () => {
  it('appear in no output of check, check --json, schema, or run (logs, /health)', async () => {
    const dir = await workspace(VALID);
    const outputs: string[] = [];
    for (const args of [['check'], ['check', '--json'], ['schema']]) {
      const r = await run(args, { cwd: dir, env });
      expect(r.code).toBe(0);
      outputs.push(r.stdout, r.stderr);
    }
    expect(outputs.join('')).toContain('[secret]'); // check shows that the option is set, masked

    const p = start(['run'], { cwd: dir, env });
    await p.waitFor('"msg":"replay finished"');
    await p.waitFor(/Spout running.*http:\/\/127\.0\.0\.1:\d+/);
    const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(p.stderr())?.[1]);
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).text();
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    // The plugin logged its options and token carelessly; the scrubber caught both.
    expect(p.stderr()).toMatch(/recorder ready with token \[secret\]/);
    for (const text of [...outputs, p.stdout(), p.stderr(), health]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(SECRET.slice(4, 20));
    }
  });

  it('appear in no error, even when the secret is the invalid value', async () => {
    const dir = await workspace(
      [
        'inputs:',
        '  feed: { use: replay }',
        'outputs:',
        '  desk:',
        `    use: ${RECORDER}`,
        '    file: DIR/desk.log',
        '    hangOnStop: ${DESK_TOKEN}', // a string where a boolean is expected
        '  other:',
        '    use: ${DESK_TOKEN}', // a secret as a plugin name: the "unknown plugin" error quotes it
      ].join('\n'),
    );
    for (const command of ['check', 'run']) {
      const { code, stdout, stderr } = await run([command], { cwd: dir, env });
      expect(code).toBe(2);
      expect(stderr).toMatch(/outputs\.desk\.hangOnStop {2}must be boolean/);
      // The value is not echoed: the message names the variable it came from.
      expect(stderr).toMatch(/outputs\.desk\.hangOnStop {2}must be boolean \(set from \$\{DESK_TOKEN\}\)/);
      expect(stderr).toMatch(/outputs\.other\.use {2}unknown output plugin "\$\{DESK_TOKEN\}"/);
      expect(stdout + stderr).not.toContain(SECRET);
    }
  });
});

/** No run of 8 characters of `secret` appears in `text`. */
function expectNoPart(text: string, secret: string, what = '') {
  for (let i = 0; i + 8 <= secret.length; i++)
    expect(text, `${what}: ${secret.slice(i, i + 8)}`).not.toContain(secret.slice(i, i + 8));
}
const noStack = (text: string) => {
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toContain('"stack"');
};

describe('no secret, whole or in part, in any output (built CLI)', () => {
  // Ends in digits: the old listen parser read it as host "tok…c3b", port 2.
  const LISTEN_SECRET = 'tok8f2c9b1e5d7a4c3b2';

  it('validation messages of every kind name the key and the variable, never the value', async () => {
    const S = 'sk_live_9d8c7b6a5f4e3d2c1b0a';
    const dir = await workspace(
      [
        'log: { level: "${S}", format: "${S}" }',
        'kernel: { stopTimeout: "${S}" }',
        'http: { listen: "${S}:8080", enabled: "${S}" }',
        'storage: { path: DIR/spout.json }',
        'inputs:',
        '  feed: { use: replay, intervalMs: "${S}", items: [{ type: "${S}", data: {} }] }',
        'outputs:',
        '  c: { use: console, format: "${S}", events: ["${S}"], filter: { minBtc: "${S}" } }',
        '  o: { use: "${S}" }',
        '  w: { use: webhook, url: "https://${S}.example/${S}", secret: "whsec_${S}!" }',
      ].join('\n'),
    );
    for (const command of ['check', 'run']) {
      const { code, stdout, stderr } = await run([command], { cwd: dir, env: { S } });
      expect(code).toBe(2);
      expectNoPart(stdout + stderr, S, command);
      noStack(stderr);
      for (const line of [
        'log.level  must be one of: fatal, error, warn, info, debug, trace, silent (set from ${S})',
        'log.format  must be one of: pretty, json (set from ${S})',
        'kernel.stopTimeout  must be a duration such as 30s, 5m, 1h or 7d (set from ${S})',
        'http.listen  must be host:port, [ipv6]:port or a port, e.g. 127.0.0.1:8080; the host must be a hostname, an IPv4 address or an IPv6 address in brackets (set from ${S})',
        'http.enabled  must be boolean (set from ${S})',
        'inputs.feed.intervalMs  must be integer (set from ${S})',
        'outputs.c.format  must be one of: pretty, json (set from ${S})',
        'outputs.c.filter.minBtc  must be number (set from ${S})',
        'outputs.o.use  unknown output plugin "${S}"',
        'outputs.w.secret  must be a Standard Webhooks secret: "whsec_" followed by base64 (24–64 bytes), e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw; make one with: echo "whsec_$(openssl rand -base64 32)" (set from ${S})',
      ]) {
        expect(stderr).toContain(line);
      }
      expect(stderr).toMatch(
        /inputs\.feed\.items\.0\.type {2}must be one of: tx\.seen, .* \(set from \$\{S\}\)\n/,
      );
      expect(stderr).toMatch(/outputs\.c\.events\.0 {2}must be one of: \*, .* \(set from \$\{S\}\)\n/);
    }
  });

  it('http.listen from a variable: a value that does not parse is refused by check, not echoed', async () => {
    const dir = await workspace(
      [
        'http: { listen: "${LISTEN}" }',
        'storage: { path: DIR/spout.json }',
        'inputs:',
        '  feed: { use: replay }',
      ].join('\n'),
    );
    for (const command of ['check', 'run']) {
      const { code, stdout, stderr } = await run([command], { cwd: dir, env: { LISTEN: LISTEN_SECRET } });
      expect(code).toBe(2);
      expect(stderr).toBe(
        'spout: 1 problem in the configuration:\n' +
          'config.yaml:1:17  http.listen  must be host:port, [ipv6]:port or a port, e.g. 127.0.0.1:8080; the port is missing (set from ${LISTEN})\n',
      );
      expectNoPart(stdout + stderr, LISTEN_SECRET, command);
    }
  });

  it('a listen failure at run time names http.listen and its variable, in one line, without a stack', async () => {
    // A valid address that is no address of this machine: binding fails at once (no DNS).
    const LISTEN = '[2001:db8:8f2c:9b1e:5d7a:4c3b:1234:5678]:8080';
    const dir = await workspace(
      [
        'log: { format: json }',
        'http: { listen: "${LISTEN}" }',
        'storage: { path: DIR/spout.json }',
        'inputs:',
        '  feed: { use: replay }',
      ].join('\n'),
    );
    const checked = await run(['check'], { cwd: dir, env: { LISTEN } });
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain('http [secret]');
    expectNoPart(checked.stdout + checked.stderr, LISTEN, 'check');

    const { code, stdout, stderr } = await run(['run'], { cwd: dir, env: { LISTEN } });
    expect(code).toBe(1);
    const fatal = stderr.split('\n').find((l) => l.includes('"level":"fatal"'));
    expect(JSON.parse(fatal as string)).toMatchObject({
      code: 'SPOUT_HTTP_LISTEN',
      msg: expect.stringMatching(
        /^boot failed: Cannot listen on http\.listen \(set from \$\{LISTEN\}\) \(E[A-Z]+\)\. /,
      ),
    });
    noStack(stderr);
    expectNoPart(stdout + stderr, LISTEN, 'run');
    expectNoPart(stdout + stderr, LISTEN.slice(1, -6), 'run'); // the address without its brackets
  });

  it('parts of a secret in plugin logs, errors and /health reasons are scrubbed; check masks the option', async () => {
    const KEY = 'pk_4e1d9a7c3b5f8e2d6a0c';
    const dir = await workspace(
      [
        'log: { level: debug, format: json }',
        'http: { listen: "127.0.0.1:0" }',
        'storage: { path: DIR/spout.json }',
        'inputs:',
        '  feed:',
        '    use: replay',
        '    items: [{ type: tx.removed, data: { txid: abc, reason: evicted } }]',
        'outputs:',
        '  leaky:',
        `    use: ${LEAKY}`,
        '    key: ${LEAKY_KEY}',
      ].join('\n'),
    );
    const checked = await run(['check'], { cwd: dir, env: { LEAKY_KEY: KEY } });
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain('"key":"[secret]"');
    expectNoPart(checked.stdout + checked.stderr, KEY, 'check');

    const p = start(['run'], { cwd: dir, env: { LEAKY_KEY: KEY } });
    await p.waitFor(/Spout running.*http:\/\/127\.0\.0\.1:\d+/);
    await p.waitFor('delivery with [secret] failed');
    const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(p.stderr())?.[1]);
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).text();
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect(p.stderr()).toContain('leaky ready with key [secret]');
    expect(p.stderr()).toContain('key ends with [secret]');
    expect(health).toContain('upstream refused [secret]');
    expectNoPart(p.stdout() + p.stderr(), KEY, 'run');
    expectNoPart(health, KEY, '/health');
  });
});
