import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, start } from '../helpers/cli.js';

const RECORDER = fileURLToPath(new URL('../fixtures/plugins/recorder.mjs', import.meta.url));

const configWith = (dir: string, outputs: string[]) =>
  [
    'log: { level: info, format: json }',
    'http: { listen: "127.0.0.1:0" }',
    `storage: { path: ${dir}/spout.json }`,
    'kernel: { stopTimeout: 500ms }',
    'inputs:',
    '  feed: { use: replay }',
    'outputs:',
    `  alpha: { use: ${RECORDER}, file: ${dir}/alpha.log, token: "\${SPOUT_BOOT_TOKEN}" }`,
    ...outputs,
  ].join('\n');

const steps = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { step: string }).step);

describe('SIGHUP and the environment (built CLI)', () => {
  it('a reload that needs a variable the process was not started with says so, and keeps the running config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-hup-env-'));
    const file = join(dir, 'config.yaml');
    await writeFile(file, configWith(dir, []));
    // The child's environment is only what is given here: SPOUT_SMTP_URL is not in it.
    const p = start(['run', '-c', file], { env: { SPOUT_BOOT_TOKEN: 'boot-token-value' } });
    await p.waitFor('Spout running');

    // The operator adds an output with a new ${VAR} (exported in their shell, not in Spout's).
    await writeFile(
      file,
      configWith(dir, [`  mail: { use: ${RECORDER}, file: ${dir}/mail.log, token: "\${SPOUT_SMTP_URL}" }`]),
    );
    p.child.kill('SIGHUP');
    await p.waitFor('SPOUT_RELOAD_REJECTED');
    const rejected = p
      .stderr()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { code?: string; msg: string })
      .find((l) => l.code === 'SPOUT_RELOAD_REJECTED');
    expect(rejected?.msg).toContain('configuration rejected; the running configuration stays.');
    expect(rejected?.msg).toContain(
      'outputs.mail.token  environment variable SPOUT_SMTP_URL is not set in the environment spout run started with: a running process cannot see variables exported later; restart spout (with systemd: add it to the EnvironmentFile, then `systemctl restart spout`), or write ${SPOUT_SMTP_URL:-default}',
    );
    expect(rejected?.msg).not.toContain('set it,');

    // The running configuration stays: alpha runs, mail was never set up.
    const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(p.stderr())?.[1]);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
      status: string;
      instances: Record<string, unknown>;
    };
    expect(health.status).toBe('healthy');
    expect(Object.keys(health.instances).sort()).toEqual(['alpha', 'feed']);
    expect(await steps(join(dir, 'alpha.log'))).toEqual(['setup', 'start']);
    expect(await steps(join(dir, 'mail.log'))).toEqual([]);

    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.stderr()).not.toContain('boot-token-value');

    // At boot the same file gets the usual message: there, setting the variable is the fix.
    const boot = await run(['run', '-c', file], { env: { SPOUT_BOOT_TOKEN: 'boot-token-value' } });
    expect(boot.code).toBe(2);
    expect(boot.stderr).toContain(
      'environment variable SPOUT_SMTP_URL is not set and has no default; set it, or write ${SPOUT_SMTP_URL:-default}',
    );
    expect(boot.stderr).not.toContain('started with');
  });
});
