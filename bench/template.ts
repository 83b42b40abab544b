import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  buildProjectedBlocks,
  createBlockTemplate,
  type BlockTemplate,
  type MempoolEntry,
  type TemplateTx,
} from '../plugins/inputs/bitcoind/template/index.js';
import { fmt } from './format.js';
import { GBT_DIR, GBT_FILES as FILES, parseMempoolBuffer } from './gbt-vector.js';

interface Vector {
  txs: TemplateTx[];
  txids: string[]; // by position in txs
  core: string[]; // Core's template, in order
}

/** A mempool as the builder and the template take it: transactions, and their txids by position. */
interface Mempool {
  txs: TemplateTx[];
  txids: string[];
}

/** Timings in ms (medians) and Core's next block against the template's, for one mempool size. */
export interface TemplateRow {
  transactions: number;
  /** The pure builder alone on uids (`buildProjectedBlocks`). */
  builderMs: number;
  /** A fresh template: every transaction added, then `build()` (sorts by txid too). */
  fullMs: number;
  /** One transaction added to the built template, then `build()`. */
  incrementalMs: number;
  /** `build()` with nothing changed (cached). */
  cachedMs: number;
  blocks: number;
}

export interface TemplateBench {
  rows: TemplateRow[];
  /** "In the next block" against Core's template, on the real vector. */
  precision: number;
  recall: number;
  predicted: number;
  actual: number;
  /** The next block is Core's template, transaction for transaction, in order. */
  sameOrder: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const time = (f: () => unknown) => {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

/** Read the vector: the big-endian mempool buffer (see the fixtures' README), ids and template. */
function loadVector(): Vector {
  const file = (name: string) => readFileSync(new URL(name, GBT_DIR));
  const txs = parseMempoolBuffer(file('test-buffer.bin'));
  const ids = JSON.parse(file('test-data-ids.json').toString()) as Array<[number, string, number]>;
  const txidOf = new Map(ids.map(([uid, txid]) => [uid, txid]));
  const core = (JSON.parse(file('target-template.json').toString()) as Array<{ txid: string }>).map(
    (t) => t.txid,
  );
  return { txs, txids: txs.map((t) => txidOf.get(t.uid)!), core };
}

/**
 * `total` transactions: copies of the vector with fresh uids (larger per copy) and txids (the
 * copy number in the first byte shown), parents remapped within each copy; the last copy is cut
 * short, its parents beyond the cut ignored.
 */
function replicate(v: Vector, total: number): Mempool {
  const txs: TemplateTx[] = [];
  const txids: string[] = [];
  const span = Math.max(...v.txs.map((t) => t.uid)) + 1;
  for (let copy = 0; txs.length < total; copy++) {
    const prefix = copy.toString(16).padStart(2, '0');
    for (let i = 0; i < v.txs.length && txs.length < total; i++) {
      const tx = v.txs[i]!;
      txs.push({ ...tx, uid: copy * span + tx.uid, parents: tx.parents.map((p) => copy * span + p) });
      // Decoded from bytes, as the input gets txids: flat strings, not concatenations.
      txids.push(Buffer.from(prefix + v.txids[i]!.slice(2), 'hex').toString('hex'));
    }
  }
  return { txs, txids };
}

/** `m` as the template takes it: txids and entries, parents as txids. */
function entriesOf(m: Mempool): Array<[string, MempoolEntry]> {
  const txidOf = new Map(m.txs.map((t, i) => [t.uid, m.txids[i]!]));
  return m.txs.map((t, i) => [
    m.txids[i]!,
    {
      fee: t.fee,
      weight: t.weight,
      sigops: t.sigops,
      parents: t.parents.flatMap((p) => txidOf.get(p) ?? []),
    },
  ]);
}

function fillTemplate(entries: Array<[string, MempoolEntry]>): BlockTemplate {
  const template = createBlockTemplate({ maxBlocks: 8 });
  for (const [txid, entry] of entries) template.add(txid, entry);
  return template;
}

function measure(m: Mempool, rounds: number): TemplateRow {
  const entries = entriesOf(m);
  const builder: number[] = [];
  const full: number[] = [];
  let template: BlockTemplate | undefined;
  for (let r = 0; r < rounds; r++) {
    builder.push(time(() => buildProjectedBlocks(m.txs, { maxBlocks: 8 })));
    full.push(time(() => (template = fillTemplate(entries)).build()));
  }
  const t = template!;
  const incremental: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // A child of a transaction in the mempool, paying 20 sat/vB on 150 vB: a new package to place.
    const parent = m.txids[(r * 7_919) % m.txids.length]!;
    const id = `ff${r.toString(16).padStart(6, '0')}`.padEnd(64, 'e');
    incremental.push(
      time(() => (t.add(id, { fee: 3_000, weight: 600, sigops: 4, parents: [parent] }), t.build())),
    );
    cached.push(time(() => t.build()));
  }
  return {
    transactions: m.txs.length,
    builderMs: median(builder),
    fullMs: median(full),
    incrementalMs: median(incremental),
    cachedMs: median(cached),
    blocks: t.build().blocks.length,
  };
}

/**
 * The bitcoind input's projected blocks: build times on the real vector (19,873 transactions)
 * and on 100,000 (the vector replicated), medians of `rounds`; and the next block against Core's
 * template. Undefined when the vector is absent.
 */
export function benchTemplate(rounds = 7): TemplateBench | undefined {
  if (!FILES.every((f) => existsSync(new URL(f, GBT_DIR)))) return undefined;
  const v = loadVector();
  const real: Mempool = { txs: v.txs, txids: v.txids };
  const next = fillTemplate(entriesOf(real)).build().txids(0);
  const inCore = new Set(v.core);
  const right = next.filter((t) => inCore.has(t)).length;
  measure(real, 2); // warm-up
  const rows = [measure(real, rounds), measure(replicate(v, 100_000), Math.max(3, rounds - 2))];
  return {
    rows,
    precision: right / next.length,
    recall: right / v.core.length,
    predicted: next.length,
    actual: v.core.length,
    sameOrder: next.length === v.core.length && next.every((t, i) => t === v.core[i]),
  };
}

/** Run {@link benchTemplate} and print it as `npm run bench` prints the others. */
export function printTemplate(): void {
  const b = benchTemplate();
  if (!b) return console.log('template: skipped (../shared/fixtures/mempool-repo/gbt/ absent)');
  console.log(
    "template: the bitcoind input's projected blocks (Core's selection by ancestor score, mempool.space's statistics), 8 blocks",
  );
  console.log(
    `  next block vs Core   precision ${b.precision.toFixed(3)} (${fmt(b.predicted)} predicted), recall ${b.recall.toFixed(3)} (${fmt(b.actual)} in Core's template); same order: ${b.sameOrder ? 'yes' : 'no'}`,
  );
  for (const r of b.rows) {
    const what = r.transactions === b.rows[0]?.transactions ? 'real mempool' : 'the real one replicated';
    console.log(`  ${fmt(r.transactions).padStart(7)} tx (${what}, ${r.blocks} blocks), medians:`);
    console.log(
      `    full build         ${r.fullMs.toFixed(1)} ms (add every transaction, build); builder alone ${r.builderMs.toFixed(1)} ms`,
    );
    console.log(
      `    one tx added       ${r.incrementalMs.toFixed(1)} ms (add, build); unchanged ${(r.cachedMs * 1000).toFixed(1)} µs (cached)`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) printTemplate();
