import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.js';
import { BILLION_LAUGHS } from '../helpers/hostile.js';

async function workspace(text: string | Buffer) {
  const dir = await mkdtemp(join(tmpdir(), 'spout-hostile-'));
  await writeFile(join(dir, 'config.yaml'), text);
  return dir;
}

/** Run the built CLI; the answer must come within 2 s. */
async function timed(args: string[], cwd: string) {
  const started = performance.now();
  const result = await run(args, { cwd });
  return { ...result, ms: performance.now() - started };
}

const noStack = (text: string) => {
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toMatch(/ReferenceError|RangeError|Error:/);
};

describe('hostile configuration files (built CLI)', () => {
  for (const command of ['check', 'run']) {
    it(`${command}: a "billion laughs" alias bomb exits 2 within 2 s with a located one-line reason`, async () => {
      const dir = await workspace(BILLION_LAUGHS);
      const { code, stdout, stderr, ms } = await timed([command], dir);
      expect(code).toBe(2);
      expect(ms).toBeLessThan(2000);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        'spout: 1 problem in the configuration:\n' +
          'config.yaml:4:29  (file)  aliases (*name) expand to more than 10000 values; write the values out, or use fewer aliases\n',
      );
      noStack(stderr);
    });

    it(`${command}: a 20 MB file is refused by its size within 2 s`, async () => {
      // Valid YAML all the way: reading and parsing it would take tens of seconds and gigabytes.
      const head = 'inputs:\n  feed:\n    use: replay\n    items:\n';
      const item = '      - { type: tx.removed, data: { txid: abc, reason: evicted } }\n';
      const dir = await workspace(head + item.repeat(Math.ceil((20 * 1024 * 1024) / item.length)));
      const { code, stdout, stderr, ms } = await timed([command], dir);
      expect(code).toBe(2);
      expect(ms).toBeLessThan(2000);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        'spout: 1 problem in the configuration:\n' +
          'config.yaml:1:1  (file)  the file is 20.0 MiB; a configuration file may be at most 1 MiB (1048576 bytes)\n',
      );
      noStack(stderr);
    });
  }
});
