import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = 'docs/architecture.md';

/**
 * Every backticked repository path in the text: a span that starts with one of the top-level
 * folders and ends in a file extension (a file) or `/` (a folder).
 */
function repositoryPaths(text: string): string[] {
  const paths = new Set<string>();
  for (const m of text.matchAll(/`([^`\n]+)`/g)) {
    const span = m[1]!;
    if (/^(?:src|plugins|test|docs|bench|deploy)\/\S*(?:\.[A-Za-z0-9]+|\/)$/.test(span)) paths.add(span);
  }
  return [...paths];
}

describe(DOC, () => {
  it('names only paths that exist (files as files, folders as folders)', async () => {
    const text = await readFile(join(ROOT, DOC), 'utf8');
    const paths = repositoryPaths(text);
    // The page walks a whale through a few dozen files: far fewer found means the pattern broke.
    expect(paths.length).toBeGreaterThan(40);
    const missing = paths.filter((p) => {
      const full = join(ROOT, p);
      if (!existsSync(full)) return true;
      return p.endsWith('/') ? !statSync(full).isDirectory() : !statSync(full).isFile();
    });
    expect(missing, `${DOC} names paths that do not exist`).toEqual([]);
  });

  it('finds paths in backticks only, as files or folders', () => {
    expect(
      repositoryPaths(
        'see `src/kernel/kernel.ts`, `plugins/outputs/`, `deploy/Dockerfile.dev`, src/bus/bus.ts, ' +
          '`src/kernel`, `whale.detected`, `docs/plugins.md#the-context`, `bench/run.ts`',
      ),
    ).toEqual(['src/kernel/kernel.ts', 'plugins/outputs/', 'deploy/Dockerfile.dev', 'bench/run.ts']);
  });
});
