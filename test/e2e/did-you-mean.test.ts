import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.js';

describe('spout check suggests what a mistyped name meant (built CLI)', () => {
  it('plugin names and option keys, at their lines, exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-typo-'));
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'http: { enabled: false }',
        'inputs:',
        '  sim: { use: simulator }',
        'detectors:',
        '  whales: { use: whale, threshold: 100 }',
        'outputs:',
        '  hook: { use: webhok, url: "http://127.0.0.1:1/x" }',
        '  c: { use: console, filter: { minBTC: 5 } }',
      ].join('\n'),
    );
    const r = await run(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'config.yaml:5:25  detectors.whales.threshold  unknown key "threshold" (did you mean "thresholdBtc"?)',
    );
    expect(r.stderr).toContain(
      'config.yaml:7:16  outputs.hook.use  unknown output plugin "webhok" (did you mean "webhook"?)',
    );
    expect(r.stderr).toContain(
      'config.yaml:8:32  outputs.c.filter.minBTC  unknown key "minBTC" (did you mean "minBtc"?)',
    );
  });
});
