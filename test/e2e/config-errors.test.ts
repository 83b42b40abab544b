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
