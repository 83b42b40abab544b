import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

// docs/embedding.md: a program of one's own runs the pipeline from the package's two entries
// ('spout' and 'spout/plugins', here the built files they point to) and hears the kernel.

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const run = promisify(execFile);
const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});

describe('embedding the kernel (built package entries)', () => {
  it('loadConfig with the built-in catalogue, createKernel, kernel.events: states and a delivery failure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-embed-'));
    dirs.push(dir);
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'http: { enabled: false }',
        'log: { level: silent, format: json }',
        'inputs:',
        '  feed: { use: replay, items: [{ type: tx.removed, data: { txid: "aa", reason: evicted } }] }',
        'outputs:',
        '  out: { use: ./broken.mjs }',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'broken.mjs'),
      `export default { kind: 'output', name: 'broken', options: { type: 'object' }, defaultEvents: ['tx.*'],
        setup: () => ({ deliver() { throw new Error('no luck'); } }) };`,
    );
    const entry = pathToFileURL(join(DIST, 'src/index.js')).href;
    const plugins = pathToFileURL(join(DIST, 'plugins/index.js')).href;
    await writeFile(
      join(dir, 'main.mjs'),
      `import { createKernel, createLogger, createMemoryStore, loadConfig } from '${entry}';
import { BUILTIN_PLUGINS } from '${plugins}';
const config = await loadConfig({ file: 'config.yaml', env: process.env, catalogue: BUILTIN_PLUGINS });
const root = createLogger({ level: 'silent', format: 'json', secrets: config.secrets });
const kernel = createKernel({ config, log: root.log, store: createMemoryStore() });
const seen = [];
kernel.events.on('state', (e) => seen.push(e.to));
const failed = new Promise((resolve) => kernel.events.on('handlerError', resolve));
await kernel.start();
const e = await failed;
await kernel.stop();
console.log(JSON.stringify({ seen, failure: [e.instance, e.phase, e.eventType, String(e.error)] }));
`,
    );
    const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({
      seen: ['starting', 'running', 'stopping', 'stopped'],
      failure: ['out', 'deliver', 'tx.removed', 'Error: no luck'],
    });
  });
});
