/** The built-in plugins as the docs name them, against plugins/index.ts. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { resolvePlugin } from '../../src/kernel/loader.js';

const read = (file: string) =>
  readFile(fileURLToPath(new URL(`../../docs/${file}`, import.meta.url)), 'utf8');

describe('docs/configuration.md', () => {
  it('lists every built-in plugin of each kind in "Built-in plugins"', async () => {
    const text = await read('configuration.md');
    const section = text.slice(text.indexOf('## Built-in plugins'));
    const rows = section.slice(0, section.indexOf('\n\n', section.indexOf('| kind'))).split('\n');
    for (const [kind, plugins] of Object.entries(BUILTIN_PLUGINS)) {
      const listed = rows
        .filter((r) => r.startsWith(`| ${kind} |`))
        .flatMap((r) => [...r.split('|')[2]!.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]));
      expect(listed.sort(), kind).toEqual(Object.keys(plugins).sort());
    }
  });

  it('quotes the unknown-plugin message as the loader words it, with today’s built-in outputs', async () => {
    const text = await read('configuration.md');
    const quoted = /`(unknown output plugin "x"; [^`]*)`/.exec(text)?.[1];
    expect(quoted).toBeDefined();
    const resolution = await resolvePlugin('output', 'x', process.cwd(), BUILTIN_PLUGINS);
    expect(resolution.ok).toBe(false);
    if (!resolution.ok) expect(resolution.error.message).toBe(quoted);
  });

  it('promises nothing "later" about the HTTP server', async () => {
    const text = await read('configuration.md');
    const row = text.split('\n').find((l) => l.startsWith('| `http.listen` |'))!;
    expect(row).not.toMatch(/\blater\b/);
    expect(row).toContain('/ws');
    expect(row).toContain('/api');
  });
});

describe('docs/events.md', () => {
  it('names the built-in producers as existing, not as arriving later', async () => {
    const text = await read('events.md');
    expect(text).not.toMatch(/arrive later/);
    const paragraph = text.slice(text.indexOf('"Producer" is'), text.indexOf('Families for routing'));
    for (const name of [
      'mempool',
      'simulator',
      'replay',
      'whale',
      'urgency',
      'rbf',
      'flow',
      'correlation',
      'accuracy',
    ])
      expect(paragraph, name).toContain(`\`${name}\``);
  });
});
