import { describe, expect, it } from 'vitest';
import { unsetOnReload } from '../../src/config/interpolate.js';
import { ConfigError } from '../../src/config/load.js';
import { parseConfig } from '../helpers/builtins.js';

const yaml =
  'inputs:\n  feed: { use: replay }\noutputs:\n  out: { use: console, format: "${SPOUT_FORMAT}" }\n';

async function problems(env: Record<string, string>) {
  try {
    await parseConfig(yaml, 'config.yaml', process.cwd(), env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('an unset variable, told on a reload', () => {
  it('says the process keeps the environment it started with, instead of "set it"', async () => {
    const [problem] = await problems({});
    expect(problem?.message).toBe(
      'environment variable SPOUT_FORMAT is not set and has no default; set it, or write ${SPOUT_FORMAT:-default}',
    );
    expect(unsetOnReload(problem!)).toEqual({
      ...problem,
      message:
        'environment variable SPOUT_FORMAT is not set in the environment spout run started with: a running process cannot see variables exported later; restart spout (with systemd: add it to the EnvironmentFile, then `systemctl restart spout`), or write ${SPOUT_FORMAT:-default}',
    });
  });

  it('leaves every other problem as it is', async () => {
    const [problem] = await problems({ SPOUT_FORMAT: 'xml' });
    expect(problem?.path).toBe('outputs.out.format');
    expect(unsetOnReload(problem!)).toBe(problem);
  });
});
