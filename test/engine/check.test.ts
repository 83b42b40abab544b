import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.js';

// Issue 18: `spout check` validates the engine and says what it is, never showing a password.

describe('spout check with engine: redis (built CLI)', () => {
  it('prints the engine, the deployment and the lease, with the password of the URL hidden', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-check-engine-'));
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'engine: { use: redis, url: "${REDIS_URL}", deployment: eu-1, leaseTime: 5s }',
        'inputs:',
        '  feed: { use: replay }',
      ].join('\n') + '\n',
    );
    const { code, stdout, stderr } = await run(['check'], {
      cwd: dir,
      env: { REDIS_URL: 'redis://:hunter2-but-longer@redis.internal:6380/2' },
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/engine redis redis:\/\/.*redis\.internal:6380\/2 {3}deployment eu-1 {3}lease 5s/);
    expect(stdout + stderr).not.toContain('hunter2');

    await writeFile(
      join(dir, 'config.yaml'),
      'engine: { use: redis, url: "http://x" }\ninputs:\n  feed: { use: replay }\n',
    );
    const bad = await run(['check'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /config\.yaml:1:\d+ +engine\.url +must be a Redis URL such as redis:\/\/127\.0\.0\.1:6379/,
    );
  });
});
