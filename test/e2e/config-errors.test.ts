import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { run, start } from '../helpers/cli.js';

const RECORDER = fileURLToPath(new URL('../fixtures/plugins/recorder.mjs', import.meta.url));

async function workspace(yaml: (dir: string) => string) {
  const dir = await mkdtemp(join(tmpdir(), 'spout-e2e-'));
  await writeFile(join(dir, 'config.yaml'), yaml(dir));
  return dir;
}

const FIVE_MISTAKES = (dir: string) =>
  [
    `http: { listen: "127.0.0.1:0" }`, //                    1
    `storage: { path: ${dir}/data/spout.json }`, //          2
    'inputs:', //                                            3
    '  feed: { use: replay }', //                            4
    'detectors:', //                                         5
    '  whales: { use: whael }', //                           6  unknown plugin
    'outputs:', //                                           7
    '  term: { use: replay }', //                            8  wrong kind
    '  json:', //                                            9
    '    use: console', //                                  10
    '    format: [json]', //                                11  wrong type
    '  audit:', //                                          12
    `    use: ${RECORDER}`, //                              13  missing required option
    '    tag: audit', //                                    14
    '  desk:', //                                           15
    `    use: ${RECORDER}`, //                              16
    `    file: ${dir}/desk.log`, //                         17
    '    token: ${DESK_TOKEN}', //                          18  undefined variable
  ].join('\n');

describe('spout check / run with a broken config (built CLI)', () => {
  for (const command of ['check', 'run']) {
    it(`${command} exits 2 and lists all five mistakes with line and column; nothing starts`, async () => {
      const dir = await workspace(FIVE_MISTAKES);
      const { code, stdout, stderr } = await run([command, '--config', 'config.yaml'], { cwd: dir });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      const lines = stderr.trim().split('\n');
      expect(lines[0]).toBe('spout: 5 problems in the configuration:');
      expect(lines.slice(1)).toEqual([
        expect.stringMatching(
          /^config\.yaml:6:18 {2}detectors\.whales\.use {2}unknown detector plugin "whael"/,
        ),
        'config.yaml:8:16  outputs.term.use  "replay" is a built-in input plugin, not an output; move it under inputs:',
        'config.yaml:11:13  outputs.json.format  must be string',
        'config.yaml:13:5  outputs.audit.file  missing required option "file"',
        'config.yaml:18:12  outputs.desk.token  environment variable DESK_TOKEN is not set and has no default; set it, or write ${DESK_TOKEN:-default}',
      ]);
      // Nothing started: no store file, no plugin set up, no "running" line.
      expect(existsSync(join(dir, 'data', 'spout.json'))).toBe(false);
      expect(existsSync(join(dir, 'desk.log'))).toBe(false);
      expect(stderr).not.toMatch(/running/);
    });
  }

  it('exits 2 with a clear message when the config file is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-e2e-'));
    const { code, stderr } = await run(['check', '-c', 'nope.yaml'], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /Cannot read the configuration file nope\.yaml \(ENOENT\)\. Pass --config PATH, set SPOUT_CONFIG/,
    );
  });

  it('exits 2 on an unknown command and prints usage', async () => {
    const { code, stderr } = await run(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command "frobnicate"/);
    expect(stderr).toMatch(/Usage: spout <command>/);
  });
});

describe('a malformed label file for the flow detector (built CLI)', () => {
  it('check and run exit 2 naming the file and line; nothing starts', async () => {
    const labels = fileURLToPath(new URL('../fixtures/labels/malformed.yaml', import.meta.url));
    const dir = await workspace((d) =>
      [
        `http: { listen: "127.0.0.1:0" }`,
        `storage: { path: ${d}/spout.json }`,
        'inputs:',
        '  feed: { use: replay }',
        'detectors:',
        '  whales: { use: whale }',
        `  flows: { use: flow, labels: "${labels}" }`,
      ].join('\n'),
    );
    for (const command of ['check', 'run']) {
      const { code, stderr } = await run([command], { cwd: dir });
      expect(code).toBe(2);
      expect(stderr).toMatch(
        /^config\.yaml:7:10 {2}detectors\.flows {2}3 problems in the label file of detectors\.flows\.labels:$/m,
      );
      expect(stderr).toContain(`${labels}:3  type must be one of exchange, custody, other`);
      expect(stderr).not.toMatch(/running: \d+ instance/);
    }
  });
});

describe('http.listen forms (built CLI)', () => {
  it('check refuses a listen address that does not parse, at its line and column, before anything runs', async () => {
    for (const [value, reason] of [
      ['localhost8080', 'the port is missing'],
      ['1.2.3.4:99999', 'the port must be a whole number from 0 to 65535'],
      ['[::1:80', 'the IPv6 address has no closing "]", e.g. [::1]:8080'],
      ['::1:80', 'an IPv6 address goes in brackets, e.g. [::1]:8080'],
      ['1.2.3.999:80', 'the host must be a hostname, an IPv4 address or an IPv6 address in brackets'],
    ]) {
      const dir = await workspace((d) =>
        [
          `storage: { path: ${d}/spout.json }`,
          'http:',
          `  listen: "${value}"`,
          'inputs:',
          '  feed: { use: replay }',
        ].join('\n'),
      );
      const { code, stdout, stderr } = await run(['check'], { cwd: dir });
      expect(code, value).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        'spout: 1 problem in the configuration:\n' +
          `config.yaml:3:11  http.listen  must be host:port, [ipv6]:port or a port, e.g. 127.0.0.1:8080; ${reason}\n`,
      );
    }
  });

  it('run takes a port alone and listens on it at 127.0.0.1', async () => {
    // A port free just now (the OS picks it), given as the documented port-only form.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const dir = await workspace((d) =>
      [
        `storage: { path: ${d}/spout.json }`,
        `http: { listen: "${port}" }`,
        'inputs:',
        '  feed: { use: replay }',
      ].join('\n'),
    );
    const p = start(['run'], { cwd: dir });
    await p.waitFor(`Spout running: 1 instance(s), http://127.0.0.1:${port}`);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });
});

const HOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** A live-like pipeline with a webhook on its default events (whale.*) and no correlation job. */
const NO_CORRELATION = (dir: string) =>
  [
    `http: { listen: "127.0.0.1:0" }`,
    `storage: { path: ${dir}/data/spout.json }`,
    'inputs:',
    '  sim: { use: simulator, whalesPerHour: 1 }',
    'detectors:',
    '  whales: { use: whale }',
    'outputs:',
    '  desk:',
    '    use: webhook',
    '    url: http://127.0.0.1:9/hook',
    `    secret: ${HOOK_SECRET}`,
    'jobs:',
    '  accuracy: { use: accuracy }',
  ].join('\n');
const DESK_WARNING =
  'outputs.desk: whale.confirmed, whale.replaced, whale.dropped never arrive: no configured plugin emits them; add the correlation job (jobs: { correlation: { use: correlation } })';

describe('events that can never arrive (built CLI)', () => {
  it('check warns on stderr for each output and job, names the plugin to add, and still exits 0', async () => {
    const dir = await workspace(NO_CORRELATION);
    const { code, stdout, stderr } = await run(['check'], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^config\.yaml: OK\n/);
    expect(stdout).not.toContain('never arrive');
    expect(stderr).toBe(`spout: warning: ${DESK_WARNING}\n`);
  });

  it('check --json lists the warnings too', async () => {
    const dir = await workspace(NO_CORRELATION);
    const { code, stdout } = await run(['check', '--json'], { cwd: dir });
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { warnings: unknown[] };
    expect(out.warnings).toEqual([
      {
        instance: 'outputs.desk',
        events: ['whale.confirmed', 'whale.replaced', 'whale.dropped'],
        producers: [{ kind: 'job', section: 'jobs', use: 'correlation', name: 'correlation' }],
        message: DESK_WARNING,
      },
    ]);
  });

  it('no warning once the correlation job is there', async () => {
    const dir = await workspace((d) => NO_CORRELATION(d) + '\n  correlation: { use: correlation }');
    const { code, stderr } = await run(['check'], { cwd: dir });
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });

  it('run logs the same warning at start', async () => {
    const dir = await workspace((d) => `log: { format: json }\n${NO_CORRELATION(d)}`);
    const p = start(['run'], { cwd: dir });
    await p.waitFor(/Spout running: 4 instance\(s\)/);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    const warning = p
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; msg: string; events?: string[] })
      .find((l) => l.msg === DESK_WARNING);
    expect(warning).toMatchObject({
      level: 'warn',
      events: ['whale.confirmed', 'whale.replaced', 'whale.dropped'],
    });
  });
});

describe('plugin problems in one pass, in words (built CLI)', () => {
  const TOKEN = `${'a'.repeat(30)}-_${'B'.repeat(36)}`; // 68 characters, as Discord makes them

  it('check lists the schema’s problems and every plugin’s at once: template placeholder, its HTML, the Discord URL', async () => {
    const dir = await workspace((d) =>
      [
        `storage: { path: ${d}/spout.json }`, //                          1
        'inputs:', //                                                    2
        '  feed: { use: replay }', //                                    3
        'outputs:', //                                                   4
        '  tg:', //                                                      5
        '    use: telegram', //                                          6
        '    token: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"', // 7
        '    chat: "@whale_desk"', //                                    8
        '    template: "<b>{btc} BTC</b> {amout} <b>{usd}"', //          9
        '  dc:', //                                                     10
        '    use: discord', //                                          11
        `    webhookUrl: "https://discord.com/webhooks/123456789012345678/${TOKEN}"`, // 12
        '  hook:', //                                                   13
        '    use: webhook', //                                          14
        '    url: https://example.com/hook', //                         15
        '    secret: hunter2-is-my-password', //                        16
        '  bot:', //                                                    17
        '    use: telegram', //                                         18
        '    token: "not-a-token-hunter3"', //                          19
        '    chat: "-1001234567890"', //                                20
      ].join('\n'),
    );
    const { code, stdout, stderr } = await run(['check'], { cwd: dir });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      'spout: 5 problems in the configuration:',
      expect.stringMatching(
        /^config\.yaml:9:15 {2}outputs\.tg\.template {2}uses unknown placeholder \{amout\}; known: \{amount\}, /,
      ),
      'config.yaml:9:15  outputs.tg.template  leaves <b> unclosed; Telegram would refuse every message',
      'config.yaml:12:17  outputs.dc.webhookUrl  must be a Discord webhook URL such as https://discord.com/api/webhooks/<id>/<token> (Server Settings → Integrations → Webhooks → Copy Webhook URL); its path does not start with /api/webhooks/',
      `config.yaml:16:13  outputs.hook.secret  must be a Standard Webhooks secret: "whsec_" followed by base64 (24–64 bytes), e.g. ${HOOK_SECRET}; make one with: echo "whsec_$(openssl rand -base64 32)"`,
      'config.yaml:19:12  outputs.bot.token  must be a bot token from @BotFather: the bot id (digits), a colon, then at least 20 letters, digits, _ or -, like 123456789:AAH…',
    ]);
    expect(stderr).not.toMatch(/pattern/);
    for (const secret of ['hunter2', 'hunter3', TOKEN.slice(0, 10)]) expect(stderr).not.toContain(secret);
  });

  it('check takes Discord webhook URLs with real ids (17 to 20 digits) and 68-character tokens', async () => {
    const dir = await workspace((d) =>
      [
        `storage: { path: ${d}/spout.json }`,
        'inputs:',
        '  feed: { use: replay }',
        'outputs:',
        `  a: { use: discord, webhookUrl: "https://discord.com/api/webhooks/12345678901234567/${TOKEN}" }`,
        `  b: { use: discord, webhookUrl: "https://discord.com/api/webhooks/12345678901234567890/${TOKEN}" }`,
      ].join('\n'),
    );
    const { code, stdout, stderr } = await run(['check'], { cwd: dir });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^config\.yaml: OK\n/);
    expect(stdout).not.toContain(TOKEN.slice(0, 10));
  });
});

describe('spout check shows options whole (built CLI)', () => {
  it('prints long options in full; secret options and values from ${VAR} show as [secret]', async () => {
    const long = Array.from({ length: 12 }, (_, i) => `x-long-header-${i}`);
    const dir = await workspace((d) =>
      [
        `storage: { path: ${d}/spout.json }`,
        'inputs:',
        '  feed: { use: replay }',
        'outputs:',
        '  hook:',
        '    use: webhook',
        '    url: https://example.com/hook',
        `    secret: ${HOOK_SECRET}`,
        `    headers: { ${long.map((h) => `${h}: "value of ${h}"`).join(', ')}, x-from-env: "Bearer \${API_KEY}" }`,
      ].join('\n'),
    );
    const { code, stdout } = await run(['check'], { cwd: dir, env: { API_KEY: 'key-0123456789abcdef' } });
    expect(code).toBe(0);
    const line = stdout.split('\n').find((l) => l.trimStart().startsWith('options {"url"'));
    expect(line).toBeDefined();
    const options = JSON.parse(line!.trim().slice('options '.length)) as Record<string, unknown>;
    expect(options).toMatchObject({
      url: 'https://example.com/hook',
      secret: '[secret]',
      headers: { ...Object.fromEntries(long.map((h) => [h, `value of ${h}`])), 'x-from-env': '[secret]' },
      timeout: '15s',
      concurrency: 4,
    });
    expect(stdout).not.toContain('…');
    expect(stdout).not.toContain('0123456789abcdef');
    expect(stdout).not.toContain(HOOK_SECRET.slice(6));
  });
});
