import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { start } from '../helpers/cli.js';

const DOC = fileURLToPath(new URL('../../docs/plugins.md', import.meta.url));

/** The code block that follows `<!-- example: NAME -->` in docs/plugins.md. */
async function example(name: string): Promise<string> {
  const text = await readFile(DOC, 'utf8');
  const m = new RegExp(`<!-- example: ${name.replace('.', '\\.')} -->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(
    text,
  );
  if (!m?.[1]) throw new Error(`docs/plugins.md has no example block ${name}`);
  return m[1];
}

describe('the third-party plugin of docs/plugins.md', () => {
  it('loads by path in the built CLI and writes the whales it is routed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-plugin-'));
    await writeFile(join(dir, 'whale-csv.mjs'), await example('whale-csv.mjs'));
    const whale = (txid: string, btc: number) =>
      `{ type: whale.detected, data: { txid: ${txid}, valueSats: ${btc * 1e8}, valueBtc: ${btc}, valueUsd: null, feeSats: 0, vsize: 225, feeRate: 0, status: pending, firstSeen: "2013-12-30T01:25:00Z", detectedAt: "2013-12-30T01:25:01Z", url: "https://mempool.space/tx/${txid}" } }`;
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'log: { format: json }',
        'http: { enabled: false }',
        'storage: { path: ./spout.json }',
        'inputs:',
        '  feed:',
        '    use: replay',
        '    items:',
        `      - ${whale('5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd', 927)}`,
        `      - ${whale('712db987272743dd6e02bdd00fd8a0718bbfd04d13495a97eb70cdc42c010b1e', 133.30798472)}`,
        '      - { type: whale.confirmed, data: { txid: 5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd, height: 277647, blocksWaited: 1, minutesWaited: 9, predictedBlocks: 6 } }',
        'outputs:',
        '  csv:',
        '    use: ./whale-csv.mjs',
        '    file: ./whales.csv',
        '    minBtc: 500',
      ].join('\n'),
    );
    // Started from another folder: the plugin's relative path must still be the config's.
    const elsewhere = await mkdtemp(join(tmpdir(), 'spout-plugin-cwd-'));
    const p = start(['run', '-c', join(dir, 'config.yaml')], { cwd: elsewhere });
    await p.waitFor('"msg":"replay finished"');
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect(p.stderr()).toContain('"instance":"csv","plugin":"./whale-csv.mjs"');
    const rows = (await readFile(join(dir, 'whales.csv'), 'utf8')).trim().split('\n');
    expect(rows[0]).toBe('time,event,txid,btc,fee_rate,height');
    expect(rows.slice(1).map((r) => r.split(',').slice(1))).toEqual([
      ['detected', '5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd', '927', '0', ''],
      ['confirmed', '5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd', '', '', '277647'],
    ]);
  });
});
