import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.js';

describe('spout schema (built CLI)', () => {
  it('prints a JSON Schema that a plain validator (as an editor uses) accepts config.example.yaml with, and that catches a typo', async () => {
    const { code, stdout } = await run(['schema']);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as Record<string, unknown>;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormatsModule.default(ajv);
    ajv
      .addFormat('duration', true)
      .addFormat('cron', true)
      .addFormat('listen', true)
      .addFormat('redis-url', true);
    const validate = ajv.compile(schema);
    const example = parse(
      await readFile(fileURLToPath(new URL('../../config.example.yaml', import.meta.url)), 'utf8'),
    ) as Record<string, unknown>;
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    const typo = structuredClone(example) as { outputs: { console: Record<string, unknown> } };
    typo.outputs.console.fromat = 'json';
    expect(validate(typo)).toBe(false);
    expect(
      validate.errors?.some(
        (e) =>
          e.keyword === 'additionalProperties' &&
          (e.params as { additionalProperty?: string }).additionalProperty === 'fromat',
      ),
    ).toBe(true);
  });

  it('spout check on the shipped example prints the wired graph', async () => {
    const { code, stdout } = await run(['check', '--json'], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
    });
    expect(code).toBe(0);
    const graph = JSON.parse(stdout) as {
      nodes: Array<{
        name: string;
        plugin: string;
        enabled: boolean;
        routing?: { events: string[]; default: boolean };
      }>;
    };
    expect(graph.nodes.map((n) => [n.name, n.plugin, n.enabled])).toEqual([
      ['mempool', 'mempool', true],
      ['whales', 'whale', true],
      ['urgency', 'urgency', true],
      ['rbf', 'rbf', true],
      ['flow', 'flow', true],
      ['console', 'console', true],
      ['big-whales-json', 'console', false],
      ['desk-webhook', 'webhook', false],
      ['telegram', 'telegram', false],
      ['discord', 'discord', false],
      ['ops-mail', 'email', false],
      ['live', 'websocket', false],
      ['correlation', 'correlation', true],
      ['accuracy', 'accuracy', true],
      ['retention', 'retention', true],
      ['api', 'api', false],
    ]);
    expect(graph.nodes[5]?.routing).toMatchObject({
      default: true,
      events: expect.arrayContaining(['whale.detected', 'accuracy.degraded']),
    });
  });
});
