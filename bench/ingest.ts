import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createBus } from '../src/bus/bus.js';
import { handleFrame, type FrameSink } from '../plugins/inputs/mempool/frames.js';
import { createLru } from '../src/plugin/lru.js';

const BLOCK = fileURLToPath(
  new URL('../../../shared/fixtures/mainnet-block-277647-esplora-full.json', import.meta.url),
);

export interface IngestResult {
  transactions: number;
  frames: number;
  ingestPerSecond: number;
  parseOnlyPerSecond: number;
  ratio: number;
  /** The same with the interest floor at 100 BTC (what a whale detector at 100 BTC declares). */
  floorPerSecond: number;
  floorRatio: number;
  rssMiB: number;
  source: string;
}

type Tx = Record<string, unknown> & { txid: string; weight: number; fee: number };

/** Frames shaped like mempool.space's `mempool-transactions` pushes, each tx with a fresh txid. */
export function buildFrames(perFrame: number, distinct: number): { frames: string[]; source: string } {
  const base: Tx[] = existsSync(BLOCK) ? (JSON.parse(readFileSync(BLOCK, 'utf8')) as Tx[]).slice(1) : [];
  const source = base.length
    ? 'the 212 non-coinbase transactions of mainnet block 277647'
    : 'synthetic transactions (fixtures absent)';
  const template = (i: number): Tx =>
    base.length
      ? (base[i % base.length] as Tx)
      : ({
          txid: '',
          fee: 1000,
          weight: 900,
          vin: [
            {
              txid: 'aa'.repeat(32),
              vout: 0,
              sequence: 0xffffffff,
              prevout: { value: 2000, scriptpubkey_address: '1A' },
            },
          ],
          vout: [{ value: 1000, scriptpubkey_address: '1B' }],
        } as Tx);
  const frames: string[] = [];
  let n = 0;
  for (let f = 0; f < distinct / perFrame; f++) {
    const added = [];
    for (let i = 0; i < perFrame; i++, n++) {
      const t = template(n);
      added.push({
        ...t,
        txid: n.toString(16).padStart(64, '0'),
        vsize: Math.ceil(t.weight / 4),
        feePerVsize: t.fee / (t.weight / 4),
        firstSeen: 1_700_000_000 + Math.floor(n / 10),
        status: { confirmed: false },
      });
    }
    frames.push(
      JSON.stringify({
        'mempool-transactions': { sequence: f, added, removed: [], mined: [], replaced: [] },
      }),
    );
  }
  return { frames, source };
}

/**
 * Ingest: raw frames → parse → normalize → dedupe (LRU) → `tx.seen` published on the real bus
 * (stable SHA-256 ids, one subscriber), on one core. Baseline in the same run: `JSON.parse`
 * alone on the same frames.
 */
export async function benchIngest(
  total = 1_000_000,
  perFrame = 50,
  distinct = 25_000,
  reps = 5,
): Promise<IngestResult> {
  const { frames, source } = buildFrames(perFrame, distinct);
  const rounds = Math.ceil(total / distinct / reps);
  const n = rounds * distinct;

  const parseOnly = () => {
    const t = process.hrtime.bigint();
    let keys = 0;
    for (let r = 0; r < rounds; r++)
      for (const f of frames) keys += Object.keys(JSON.parse(f) as object).length;
    if (keys === 0) throw new Error('nothing parsed');
    return Number(process.hrtime.bigint() - t);
  };

  const bus = createBus();
  let seen = 0;
  bus.subscribe('sink', ['tx.seen'], () => void seen++);
  const sink: FrameSink = {
    emit: (type, data) => void bus.publish(type, data, 'bench'),
    reject: (kind, why) => {
      throw new Error(`${kind}: ${why}`);
    },
    now: Date.now,
    seen: createLru<string, boolean>(10_000),
    stats: { projectedBlocks: null, fees: null, mempoolVsize: null, usdPrice: null },
    onProjectedBlock: () => {},
    onRecentBlocks: () => {},
  };
  let floor: number | null = null;
  sink.interestFloor = () => floor;
  const ingest = async () => {
    // Each run starts with no txid seen (a run with the floor leaves only whales in the cache).
    sink.seen.clear();
    const before = seen;
    const t = process.hrtime.bigint();
    // Frame by frame, as they arrive live: the bus delivers each frame's events before the next.
    for (let r = 0; r < rounds; r++) {
      for (const f of frames) {
        handleFrame(f, 64 * 2 ** 20, sink);
        await bus.drain();
      }
    }
    const ns = Number(process.hrtime.bigint() - t);
    if (floor === null && seen - before !== n) throw new Error(`expected ${n} tx.seen, got ${seen - before}`);
    if (floor !== null && seen === before) throw new Error('no whale published above the floor');
    return ns;
  };
  const withFloor = async () => {
    floor = 100e8;
    try {
      return await ingest();
    } finally {
      floor = null;
    }
  };

  // Alternate the two, several times, and compare medians: JIT warm-up and GC debt then weigh
  // on both alike.
  const parseNs: number[] = [];
  const ingestNs: number[] = [];
  const floorNs: number[] = [];
  for (let i = 0; i < reps; i++) {
    parseNs.push(parseOnly());
    ingestNs.push(await ingest());
    floorNs.push(await withFloor());
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const ingestPerSecond = n / (median(ingestNs) / 1e9);
  const parseOnlyPerSecond = n / (median(parseNs) / 1e9);
  return {
    transactions: n * reps,
    frames: rounds * frames.length * reps,
    ingestPerSecond,
    parseOnlyPerSecond,
    ratio: ingestPerSecond / parseOnlyPerSecond,
    floorPerSecond: n / (median(floorNs) / 1e9),
    floorRatio: n / (median(floorNs) / 1e9) / parseOnlyPerSecond,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    source,
  };
}
