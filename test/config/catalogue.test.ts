import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { EMPTY_CATALOGUE, type PluginCatalogue } from '../../src/plugin/catalogue.js';

// The configuration loader knows no plugins by itself: the composition root hands in the
// catalogue (the CLI: the built-ins). Here a catalogue of one test plugin.

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const SMALL: PluginCatalogue = {
  ...EMPTY_CATALOGUE,
  // @ts-expect-error a plain JavaScript fixture, without types
  output: { recorder: () => import('../fixtures/plugins/recorder.mjs') },
};

describe('plugin catalogue', () => {
  it('resolves use: names from the catalogue it is given', async () => {
    const config = await parseConfig(
      'outputs:\n  rec: { use: recorder, file: /dev/null }\n',
      'config.yaml',
      FIXTURES,
      {},
      SMALL,
    );
    expect(config.instances.map((i) => [i.name, i.use, i.plugin?.name])).toEqual([
      ['rec', 'recorder', 'recorder'],
    ]);
  });

  it('knows no built-ins unless handed them: a built-in name is unknown, with the catalogue’s names listed', async () => {
    const error = await parseConfig(
      'outputs:\n  hook: { use: webhook, url: "http://127.0.0.1:1/", secret: "x" }\n',
      'config.yaml',
      FIXTURES,
      {},
      SMALL,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]?.message).toMatch(
      /unknown output plugin "webhook".*built-in outputs: recorder/,
    );
  });
});
