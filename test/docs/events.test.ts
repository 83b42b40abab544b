import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventId } from '../../src/bus/envelope.js';
import { EVENT_TYPES } from '../../src/bus/catalogue.js';

const read = (name: string) =>
  readFile(fileURLToPath(new URL(`../../docs/${name}`, import.meta.url)), 'utf8');

describe('docs/events.md', () => {
  it('has a section for every event type of the catalogue, and no other', async () => {
    const text = await read('events.md');
    const headings = [...text.matchAll(/^### `([a-z]+\.[a-z]+)`$/gm)].map((m) => m[1]);
    expect(headings.sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('shows ids that the code really derives', async () => {
    const text = await read('events.md');
    const txid = '5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd';
    expect(text).toContain(eventId('whale.detected', txid));
    expect(text).toContain(eventId('whale.confirmed', txid));
  });
});

describe('docs/configuration.md', () => {
  it('documents every kernel key', async () => {
    const text = await read('configuration.md');
    for (const key of [
      'log.level',
      'log.format',
      'storage.path',
      'http.listen',
      'http.enabled',
      'auth.secret',
      'kernel.setupTimeout',
      'kernel.startTimeout',
      'kernel.stopTimeout',
      'kernel.drainTimeout',
    ]) {
      const [section, name] = key.split('.');
      expect(text, key).toMatch(new RegExp(`\`${section}\\.${name}\`|\\| \`${name}\` \\|`));
    }
  });
});
