import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, start } from '../helpers/cli.js';

const RECORDER = fileURLToPath(new URL('../fixtures/plugins/recorder.mjs', import.meta.url));
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
      expect(stderr).toMatch(/outputs\.other\.use {2}unknown output plugin "\[secret\]"/);
      expect(stdout + stderr).not.toContain(SECRET);
    }
  });
});
