import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Spout's version, from its package.json. Found by walking up from this module (not from the
 * working directory): the file sits two folders up from `src/cli/` and three from
 * `dist/src/cli/`, in the repository as in an installed package.
 */
export function spoutVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'spout' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json here (or not readable): keep going up.
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
