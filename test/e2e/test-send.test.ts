import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.js';
import { newSecret, startReceiver } from '../helpers/receiver.js';

// `spout test OUTPUT` as an operator meets it: the built CLI, a real receiver verifying the
// signature with `standardwebhooks`.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function workspace(outputs: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'spout-e2e-test-send-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      'log: { level: info, format: json }',
      `storage: { path: ${JSON.stringify(join(dir, 'spout.json'))} }`,
      'outputs:',
      ...outputs.map((o) => `  ${o}`),
    ].join('\n') + '\n',
  );
  return config;
}

describe('spout test OUTPUT (built CLI)', () => {
  it('delivers one signed, marked sample to the webhook and exits 0 with what the receiver answered', async () => {
    const secret = newSecret();
    const receiver = await startReceiver(secret);
    cleanups.push(() => receiver.close());
    const config = await workspace([`hook: { use: webhook, url: "${receiver.url}", secret: "${secret}" }`]);
    const r = await run(['test', 'hook', '-c', config, '--event', 'whale.confirmed']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ type: 'whale.confirmed', test: true });
    expect(r.stdout).toContain('outputs.hook (webhook) ← whale.confirmed');
    expect(r.stdout).toMatch(/delivered in \d+ ms: HTTP 200/);
  });

  it('an endpoint that refuses: exit 1 with the answer and the fix', async () => {
    const secret = newSecret();
    const receiver = await startReceiver(secret, [{ status: 500 }]);
    cleanups.push(() => receiver.close());
    const config = await workspace([`hook: { use: webhook, url: "${receiver.url}", secret: "${secret}" }`]);
    const r = await run(['test', 'hook', '-c', config, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ output: 'hook', delivered: false, statusCode: 500 });
  });

  it('an unknown output or event is a usage error (exit 2) naming what there is', async () => {
    const config = await workspace([
      'hook: { use: webhook, url: "http://127.0.0.1:9/x", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }',
    ]);
    const unknown = await run(['test', 'hoko', '-c', config]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/hoko/);
    expect(unknown.stderr).toMatch(/hook/);
    const event = await run(['test', 'hook', '-c', config, '--event', 'tx.seen']);
    expect(event.code).toBe(2);
    expect(event.stderr).toMatch(/whale\.detected/);
    const missing = await run(['test', '-c', config]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/SPOUT_CLI_USAGE/);
  });
});
