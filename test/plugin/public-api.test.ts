import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The public API is what the built-ins use: every import of `src/` from `plugins/` goes through
// `src/index.ts`, so a third-party plugin can do whatever a built-in does. The allow-list holds
// the imports not yet moved behind it; it may only shrink (an entry no longer needed fails too).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ALLOWED: readonly string[] = [];

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    ),
  );
  return nested.flat();
}

/** `plugins/x.ts → src/y.ts` for every import of a module under src/ other than the entry. */
async function privateImports(): Promise<string[]> {
  const found: string[] = [];
  for (const file of await sources(join(ROOT, 'plugins'))) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = relative(ROOT, resolve(file, '..', m[1]!)).replace(/\.js$/, '.ts');
      if (target.startsWith('src/') && target !== 'src/index.ts')
        found.push(`${relative(ROOT, file)} → ${target}`);
    }
  }
  return found.sort();
}

describe('public API', () => {
  it('plugins import src/ only through src/index.ts (allow-list may only shrink)', async () => {
    const found = await privateImports();
    expect(found.filter((i) => !ALLOWED.includes(i))).toEqual([]);
    expect(ALLOWED.filter((i) => !found.includes(i))).toEqual([]);
  });

  it('src/ imports plugins/ only from the composition root (src/cli)', async () => {
    const offenders: string[] = [];
    for (const file of await sources(join(ROOT, 'src'))) {
      const rel = relative(ROOT, file);
      if (rel.startsWith('src/cli/')) continue;
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g))
        if (relative(ROOT, resolve(file, '..', m[1]!)).startsWith('plugins/'))
          offenders.push(`${rel} → ${m[1]}`);
    }
    expect(offenders).toEqual([]);
  });

  it('the entry exports what the built-ins reach for', async () => {
    const api = await import('../../src/index.js');
    for (const name of [
      'defineOutput',
      'optionError',
      'problemList',
      'counter',
      'eventId',
      'EVENT_TYPES',
      'sendJson',
      'createFilter',
      'createOutboxWorker',
      'createChatInstance',
      'verifyToken',
      'COLLECTIONS',
    ])
      expect(api, name).toHaveProperty(name);
  });
});
