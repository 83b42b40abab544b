// Prints how well the urgency detector predicts "in the next block" on mempool.space's GBT test
// vector (a real mempool and Bitcoin Core's template for it, in ../shared/fixtures), as a
// Markdown table: `node scripts/score-gbt.mjs [fixtures/gbt dir]`. The scoring code is the
// TypeScript of the test (test/helpers/gbt.ts) and of the detector: it is transpiled with the
// project's own TypeScript into a temporary folder, so nothing needs building or installing.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../', import.meta.url));
// The test helper first (it is what is run), then what it imports: the bitcoind input's block
// template (the projected-block builder) and the vector parser.
const TEMPLATE = 'plugins/inputs/bitcoind/template';
const SOURCES = [
  'test/helpers/gbt.ts',
  'plugins/detectors/urgency/placement.ts',
  'bench/gbt-vector.ts',
  ...readdirSync(join(root, TEMPLATE))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${TEMPLATE}/${f}`),
];
const dir = process.argv[2]
  ? pathToFileURL(join(process.argv[2], '/'))
  : new URL('../../shared/fixtures/mempool-repo/gbt/', import.meta.url);
if (!existsSync(new URL('test-buffer.bin', dir))) {
  console.error(`GBT vector not found in ${fileURLToPath(dir)} (is ../shared present?)`);
  process.exit(1);
}

const out = mkdtempSync(join(tmpdir(), 'spout-score-gbt-'));
try {
  for (const file of SOURCES) {
    const { outputText } = ts.transpileModule(readFileSync(join(root, file), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ES2022,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    const target = join(out, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  const { loadGbtVector, projectBlocks, scoreVector } = await import(
    pathToFileURL(join(out, SOURCES[0].replace(/\.ts$/, '.js'))).href
  );
  const vector = loadGbtVector(dir);
  const projected = projectBlocks(vector.txs);
  const same =
    projected.blocks[0].length === vector.template.length &&
    projected.blocks[0].every((u, i) => u === vector.template[i]);
  const f = (x) => x.toFixed(3);
  console.log(
    `${vector.txs.length} transactions; Core's template: ${vector.template.length}; projected blocks: ${projected.blocks.map((b) => b.length).join(', ')} transactions`,
  );
  console.log(`projected next block ${same ? 'equals' : 'DIFFERS FROM'} Core's template\n`);
  console.log('| rule | rate | precision | recall | top-100 by fee: precision | recall |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of scoreVector(vector, projected))
    console.log(
      `| ${r.rule} | ${r.rate} | ${f(r.all.precision)} | ${f(r.all.recall)} | ${f(r.top100.precision)} | ${f(r.top100.recall)} |`,
    );
} finally {
  rmSync(out, { recursive: true, force: true });
}
