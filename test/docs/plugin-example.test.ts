import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, start } from '../helpers/cli.js';

const DOC = fileURLToPath(new URL('../../docs/plugins.md', import.meta.url));
/** What `import … from 'spout'` is in the built package (`exports` of package.json). */
const ENTRY = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));

/** The code block that follows `<!-- example: NAME -->` in docs/plugins.md. */
async function example(name: string): Promise<string> {
  const text = await readFile(DOC, 'utf8');
  const m = new RegExp(`<!-- example: ${name.replace('.', '\\.')} -->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(
    text,
  );
  if (!m?.[1]) throw new Error(`docs/plugins.md has no example block ${name}`);
  return m[1];
}

/** The modules a piece of code imports. */
const importsOf = (code: string): string[] =>
  [...code.matchAll(/^\s*import\s[^'"]*?from\s*(['"])([^'"]+)\1/gm)].map((m) => m[2]!);

/**
 * The example as a file in a fresh folder, its `from 'spout'` pointing at the built entry (the
 * package is not installed in a temporary folder), with a config.yaml using it.
 */
async function installExample(options: string[], items: string[]): Promise<string> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build first`);
  const code = await example('whale-csv.mjs');
  const dir = await mkdtemp(join(tmpdir(), 'spout-plugin-'));
  const spout = JSON.stringify(pathToFileURL(ENTRY).href);
  await writeFile(join(dir, 'whale-csv.mjs'), code.replace(/from\s*(['"])spout\1/g, `from ${spout}`));
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
      ...items.map((item) => `      - ${item}`),
      'outputs:',
      '  csv:',
      '    use: ./whale-csv.mjs',
      ...options.map((o) => `    ${o}`),
    ].join('\n'),
  );
  return dir;
}

const WHALE_A = '5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd';
const WHALE_B = '712db987272743dd6e02bdd00fd8a0718bbfd04d13495a97eb70cdc42c010b1e';
const whale = (txid: string, btc: number) =>
  `{ type: whale.detected, data: { txid: ${txid}, valueSats: ${Math.round(btc * 1e8)}, valueBtc: ${btc}, valueUsd: null, feeSats: 0, vsize: 225, feeRate: 0, status: pending, firstSeen: "2013-12-30T01:25:00Z", detectedAt: "2013-12-30T01:25:01Z", url: "https://mempool.space/tx/${txid}" } }`;
const confirmed = (txid: string) =>
  `{ type: whale.confirmed, data: { txid: ${txid}, height: 277647, blocksWaited: 1, minutesWaited: 9, predictedBlocks: 6 } }`;

describe('the third-party plugin of docs/plugins.md', () => {
  it('imports nothing but Node and the public API', async () => {
    const modules = importsOf(await example('whale-csv.mjs'));
    expect(modules).toContain('spout');
    expect(modules.filter((m) => m !== 'spout' && !m.startsWith('node:'))).toEqual([]);
  });

  it('loads by path in the built CLI and writes the whales it is routed', async () => {
    const dir = await installExample(
      ['file: ./whales.csv', 'minBtc: 500'],
      [whale(WHALE_A, 927), whale(WHALE_B, 133.30798472), confirmed(WHALE_A)],
    );
    // Started from another folder: the plugin's relative path must still be the config's.
    const elsewhere = await mkdtemp(join(tmpdir(), 'spout-plugin-cwd-'));
    const p = start(['run', '-c', join(dir, 'config.yaml')], { cwd: elsewhere });
    await p.waitFor('"msg":"replay finished"');
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect(p.stderr()).toContain('"instance":"csv","plugin":"./whale-csv.mjs"');
    expect(p.stderr()).toContain('writing whales to CSV');
    expect(existsSync(join(elsewhere, 'whales.csv'))).toBe(false);
    const rows = (await readFile(join(dir, 'whales.csv'), 'utf8')).trim().split('\n');
    expect(rows[0]).toBe('time,event,txid,btc,fee_rate,height');
    // The 133 BTC whale is under minBtc (resolved to minSats).
    expect(rows.slice(1).map((r) => r.split(',').slice(1))).toEqual([
      ['detected', WHALE_A, '927', '0', ''],
      ['confirmed', WHALE_A, '', '', '277647'],
    ]);
  });

  it('reports its option problems at the option, as spout check shows them', async () => {
    const dir = await installExample(['file: ./nowhere/whales.csv'], [whale(WHALE_A, 927)]);
    const r = await run(['check', '-c', join(dir, 'config.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /config\.yaml:\d+:\d+ +outputs\.csv\.file +the folder \S+nowhere does not exist; create it or choose another/,
    );
  });
});
