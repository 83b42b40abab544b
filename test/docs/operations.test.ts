import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { captureCli } from '../helpers/cli.js';

const read = (file: string) =>
  readFile(fileURLToPath(new URL(`../../docs/${file}`, import.meta.url)), 'utf8');

describe('docs/operations.md', () => {
  it('has a row in the command table for every command of the CLI', async () => {
    const text = await read('operations.md');
    const table = text.slice(text.indexOf('## Commands'));
    const { program } = buildProgram(captureCli(process.cwd()).cli);
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['run', 'demo', 'token', 'backup', 'restore']));
    for (const name of names)
      expect(table, `spout ${name}`).toMatch(new RegExp(`^\\| \`spout ${name}\\b`, 'm'));
  });
});
