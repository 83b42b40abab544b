import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_ALIASED_VALUES, MAX_ANCHORS_AND_ALIASES } from '../../src/config/aliases.js';
import { ConfigError, MAX_CONFIG_BYTES } from '../../src/config/load.js';
import { loadConfig, parseConfig } from '../helpers/builtins.js';
import { MAX_FLOW_NESTING } from '../../src/config/nesting.js';
import { BILLION_LAUGHS } from '../helpers/hostile.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

async function failure(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}
const lines = (e: ConfigError) => e.problems.map((p) => `${p.line}:${p.col} ${p.path} ${p.message}`);

describe('hostile configuration files', () => {
  it('refuses a "billion laughs" alias bomb at once, at the alias that goes over the limit', async () => {
    const started = Date.now();
    const error = await failure(parseConfig(BILLION_LAUGHS, 'config.yaml', FIXTURES, {}));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(lines(error)).toEqual([
      // a: 11 values; b: 10 × 11; c: 10 × 111; d's eighth alias passes 10 000.
      `4:29  aliases (*name) expand to more than ${MAX_ALIASED_VALUES} values; write the values out, or use fewer aliases`,
    ]);
    expect(error.message).not.toMatch(/ReferenceError|Excessive/);
  });

  it('refuses an alias inside the value its own anchor names', async () => {
    const error = await failure(
      parseConfig('inputs:\n  feed: &loop\n    use: replay\n    again: *loop\n', 'config.yaml', FIXTURES, {}),
    );
    expect(lines(error)).toEqual(['4:12  the alias *loop is inside the value its anchor names (a loop)']);
  });

  it('refuses too many anchors and aliases', async () => {
    const many = Array.from({ length: MAX_ANCHORS_AND_ALIASES + 1 }, () => '*x').join(', ');
    const error = await failure(
      parseConfig(`x: &x 1\ny: [${many}]\ninputs:\n  feed: { use: replay }\n`, 'config.yaml', FIXTURES, {}),
    );
    expect(lines(error)).toEqual([
      expect.stringMatching(/^2:\d+ {2}more than 1000 anchors \(&name\) and aliases \(\*name\)/),
    ]);
  });

  it('still takes ordinary anchors and aliases (more uses than yaml allows by default)', async () => {
    const uses = Array.from({ length: 150 }, () => '*ev').join(', ');
    const config = await parseConfig(
      [
        'inputs:',
        '  feed:',
        '    use: replay',
        `    items: [&ev { type: tx.removed, data: { txid: abc, reason: evicted } }, ${uses}]`,
        'outputs:',
        '  a: { use: console, filter: &big { minBtc: 500 } }',
        '  b: { use: console, filter: *big }',
      ].join('\n'),
      'config.yaml',
      FIXTURES,
      {},
    );
    expect((config.instances[0]?.options.items as unknown[]).length).toBe(151);
    expect(config.instances[2]?.filter).toEqual({ minBtc: 500 });
  });

  it('refuses { } and [ ] nested too deep at once, counting only real brackets', async () => {
    const started = Date.now();
    const n = 500_000; // just under 1 MiB: the parser alone would take seconds and ~700 MB
    const error = await failure(
      parseConfig(`inputs: ${'['.repeat(n)}${']'.repeat(n)}\n`, 'config.yaml', FIXTURES, {}),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(lines(error)).toEqual([
      `1:${9 + MAX_FLOW_NESTING}  more than ${MAX_FLOW_NESTING} levels of { } and [ ] inside each other`,
    ]);

    const deep = (k: number) => `${'['.repeat(k)}1${']'.repeat(k)}`;
    const quoted = '"' + '['.repeat(100) + '"';
    const config = await parseConfig(
      [
        `# ${'['.repeat(100)}`,
        'inputs:',
        '  feed:',
        '    use: replay',
        `    items: [{ type: tx.removed, data: { txid: ${quoted}, deep: ${deep(MAX_FLOW_NESTING - 3)} } }]`,
        '  other:',
        '    use: replay',
        '    items:',
        '      - type: tx.removed',
        '        data:',
        '          note: |',
        `            ${'{'.repeat(100)}`,
      ].join('\n'),
      'config.yaml',
      FIXTURES,
      {},
    );
    expect(config.instances).toHaveLength(2);
    expect(
      lines(
        await failure(
          parseConfig(
            `inputs:\n  feed: { use: replay, x: ${deep(MAX_FLOW_NESTING)} }\n`,
            'config.yaml',
            FIXTURES,
            {},
          ),
        ),
      ),
    ).toEqual([
      `2:${26 + MAX_FLOW_NESTING}  more than ${MAX_FLOW_NESTING} levels of { } and [ ] inside each other`,
    ]);
  });

  it('refuses a file over 1 MiB by its size, before reading it; takes one of exactly 1 MiB', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-hostile-'));
    const head = 'inputs:\n  feed: { use: replay }\n';
    const exact = head + '#'.repeat(MAX_CONFIG_BYTES - head.length - 1) + '\n';
    expect(Buffer.byteLength(exact)).toBe(MAX_CONFIG_BYTES);
    await writeFile(join(dir, 'exact.yaml'), exact);
    const config = await loadConfig({ file: join(dir, 'exact.yaml'), shownAs: 'exact.yaml', env: {} });
    expect(config.instances.map((i) => i.name)).toEqual(['feed']);

    await writeFile(join(dir, 'over.yaml'), exact + '\n');
    expect(
      lines(await failure(loadConfig({ file: join(dir, 'over.yaml'), shownAs: 'over.yaml', env: {} }))),
    ).toEqual(['1:1  the file is 1.0 MiB; a configuration file may be at most 1 MiB (1048576 bytes)']);

    // Text handed over directly obeys the same limit.
    expect(lines(await failure(parseConfig(exact + 'é', 'config.yaml', dir, {})))).toEqual([
      expect.stringMatching(/^1:1 {2}the file is 1\.0 MiB; a configuration file may be at most 1 MiB/),
    ]);
  });

  it('reads a pipe up to the limit only', async () => {
    const { spawn } = await import('node:child_process');
    // A FIFO has no size to check first: reading stops one byte past the limit.
    const dir = await mkdtemp(join(tmpdir(), 'spout-fifo-'));
    const fifo = join(dir, 'config.fifo');
    await new Promise<void>((resolve, reject) =>
      spawn('mkfifo', [fifo]).on('exit', (code) => (code === 0 ? resolve() : reject(new Error('mkfifo')))),
    );
    const { createWriteStream } = await import('node:fs');
    const writer = createWriteStream(fifo);
    writer.on('error', () => {}); // the reader closes the pipe early: EPIPE
    const chunk = Buffer.alloc(64 * 1024, '#');
    let sent = 0;
    const pump = () => {
      while (sent < 4 * MAX_CONFIG_BYTES && !writer.destroyed) {
        sent += chunk.length;
        if (!writer.write(chunk)) return void writer.once('drain', pump);
      }
      writer.end();
    };
    pump();
    const error = await failure(loadConfig({ file: fifo, shownAs: 'config.fifo', env: {} }));
    writer.destroy();
    expect(lines(error)).toEqual([
      '1:1  the file is larger than 1 MiB; a configuration file may be at most 1 MiB (1048576 bytes)',
    ]);
  });
});
