import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { createRedactor } from '../../src/log/redact.js';
import { parseConfig } from '../helpers/builtins.js';

// Issue 18: the `engine:` key — embedded by default, redis with a URL whose password is a
// secret, each mistake told with what to write instead.

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const load = (yaml: string, env: Record<string, string> = {}) =>
  parseConfig(`${yaml}\ninputs:\n  feed: { use: replay }\n`, 'config.yaml', FIXTURES, env);

describe('engine configuration', () => {
  it('is embedded unless told otherwise, with the documented defaults', async () => {
    expect((await load('')).engine).toEqual({
      use: 'embedded',
      url: 'redis://127.0.0.1:6379',
      deployment: 'spout',
      leaseTime: '10s',
    });
  });

  it('takes redis with a URL from the environment; the password in it is a secret', async () => {
    const config = await load(
      'engine: { use: redis, url: "${REDIS_URL}", deployment: eu-1, leaseTime: 5s }',
      {
        REDIS_URL: 'redis://:p%40ss-word-1@redis.internal:6380/2',
      },
    );
    expect(config.engine).toMatchObject({ use: 'redis', deployment: 'eu-1', leaseTime: '5s' });
    const scrub = createRedactor(config.secrets, config.strictSecrets);
    expect(scrub('auth failed for p@ss-word-1')).not.toContain('p@ss-word-1');
    expect(scrub('auth failed for p%40ss-word-1')).not.toContain('p%40ss-word-1');
    expect(scrub('connecting to redis://:p%40ss-word-1@redis.internal:6380/2')).not.toContain('ss-word-1');
  });

  it('where Redis is stays readable in what Spout says, when the URL comes from the environment', async () => {
    const config = await load('engine: { use: redis, url: "${REDIS_URL}" }', {
      REDIS_URL: 'redis://redis.internal:6380/2',
    });
    const scrub = createRedactor(config.secrets, config.strictSecrets);
    expect(scrub('Redis at redis://redis.internal:6380/2 is unreachable')).toBe(
      'Redis at redis://redis.internal:6380/2 is unreachable',
    );
  });

  it('refuses a URL that is not Redis, a deployment name with other characters, an unknown engine', async () => {
    const error = await load(
      'engine: { use: cluster, url: "http://redis:6379", deployment: "a b", leaseTime: soon }',
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).problems.map((p) => `${p.path} ${p.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'engine.use must be one of: embedded, redis',
        expect.stringMatching(/^engine\.url must be a Redis URL such as redis:\/\/127\.0\.0\.1:6379/),
        'engine.deployment must be 1 to 64 letters, digits, _ . or -',
        expect.stringMatching(/^engine\.leaseTime must be a duration/),
      ]),
    );
  });
});
