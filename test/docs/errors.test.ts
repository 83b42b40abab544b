import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/kernel/errors.js';

describe('docs/errors.md', () => {
  it('lists exactly the codes of the catalogue, each with its exit status', async () => {
    const text = await readFile(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');
    const rows = [...text.matchAll(/^\| `(SPOUT_[A-Z_]+)` \| (\d) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows.map(([code]) => code)).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, exit] of rows) expect(exit).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES].exit);
  });
});
