/** What the simulated mempool keeps of each transaction (the rest lives only in its events). */
export interface MempoolEntry {
  readonly txid: string;
  /** sat/vB */
  readonly feeRate: number;
  readonly vsize: number;
  /** Arrival order; breaks fee-rate ties (older first) so every order is deterministic. */
  readonly seq: number;
}

/** One projected block. Valid only until the mempool next changes: read it at once. */
export interface BlockTemplate {
  readonly nTx: number;
  readonly vsize: number;
  /** Fee rate of the `i`-th transaction in block order, 0 being the highest fee rate. */
  feeRateAt(i: number): number;
  /** The transactions, in block order (highest fee rate first). */
  entries(): MempoolEntry[];
}

/**
 * The simulated mempool, ordered by fee rate, highest first (ties: older first); mining,
 * projected blocks and eviction follow that order exactly. Entries live in fee-rate bands 0.5 %
 * wide, each a small sorted array, with the bands' counts and vsizes kept apart: a projection
 * takes whole bands at a time and costs about the number of bands it spans, not the size of
 * the mempool.
 */
export interface MempoolModel {
  /** Number of transactions. */
  size(): number;
  /** Total virtual size, in vbytes. */
  vsize(): number;
  has(txid: string): boolean;
  /** Add a transaction (a txid already present is ignored). */
  add(entry: MempoolEntry): void;
  /** Remove a transaction; returns it, or undefined if it was not there. */
  remove(txid: string): MempoolEntry | undefined;
  /** Remove and return the transaction that comes last in fee-rate order, or undefined when empty. */
  evictLowest(): MempoolEntry | undefined;
  /**
   * The next `maxBlocks` blocks, each filled in fee-rate order up to `maxBlockVsize` vbytes; a
   * block ends at the first transaction that does not fit, which starts the next block (so
   * every block's lowest fee rate is ≥ everything after it). Nothing is removed.
   */
  project(maxBlocks: number, maxBlockVsize: number): BlockTemplate[];
  /** Remove and return the first projected block's transactions, highest fee rate first. */
  mine(maxBlockVsize: number): MempoolEntry[];
}

interface Run {
  band: MempoolEntry[];
  bandIndex: number;
  start: number;
  count: number;
  /** Transactions of the block before this run. */
  before: number;
}

const BAND_STEP = Math.log(1.005);
/** Fee rates above this (sat/vB) share the top band, which is sorted like any other. */
const MAX_BANDED_RATE = 100_000;
const BANDS = Math.ceil(Math.log(MAX_BANDED_RATE) / BAND_STEP) + 1;

/** Negative when `a` comes first: higher fee rate, then older. */
const byPriority = (a: MempoolEntry, b: MempoolEntry) => b.feeRate - a.feeRate || a.seq - b.seq;

function bandOf(feeRate: number): number {
  if (!(feeRate > 1)) return 0;
  return Math.min(BANDS - 1, Math.floor(Math.log(feeRate) / BAND_STEP));
}

/** Index of the first entry of `band` that comes after `entry` in priority order. */
function upperBound(band: readonly MempoolEntry[], entry: MempoolEntry): number {
  let lo = 0;
  let hi = band.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (byPriority(band[mid] as MempoolEntry, entry) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function createTemplate() {
  const runs: Run[] = [];
  let nTx = 0;
  let vsize = 0;
  return {
    runs,
    get nTx() {
      return nTx;
    },
    get vsize() {
      return vsize;
    },
    take(band: MempoolEntry[], bandIndex: number, start: number, count: number, runVsize: number) {
      runs.push({ band, bandIndex, start, count, before: nTx });
      nTx += count;
      vsize += runVsize;
    },
    feeRateAt(i: number): number {
      let lo = 0;
      let hi = runs.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((runs[mid]?.before ?? 0) <= i) lo = mid;
        else hi = mid - 1;
      }
      const run = runs[lo];
      return run?.band[run.start + i - run.before]?.feeRate ?? 0;
    },
    entries: () => runs.flatMap((r) => r.band.slice(r.start, r.start + r.count)),
  };
}

/** Create an empty {@link MempoolModel}. */
export function createMempoolModel(): MempoolModel {
  const bands: MempoolEntry[][] = Array.from({ length: BANDS }, () => []);
  // The projection scans thousands of bands per call: contiguous numbers scan far faster than
  // the arrays themselves.
  const vsizes = new Float64Array(BANDS);
  const index = new Map<string, { entry: MempoolEntry; band: number }>();
  let totalVsize = 0;
  // Bounds on the occupied bands: every non-empty band is within [low, high].
  let low = BANDS;
  let high = -1;

  const forget = (entry: MempoolEntry, b: number) => {
    index.delete(entry.txid);
    vsizes[b] = (vsizes[b] ?? 0) - entry.vsize;
    totalVsize -= entry.vsize;
  };

  const project = (maxBlocks: number, maxBlockVsize: number) => {
    const blocks: Array<ReturnType<typeof createTemplate>> = [];
    let current = createTemplate();
    while (high >= low && bands[high]?.length === 0) high--;
    for (let b = high; b >= low && blocks.length < maxBlocks; b--) {
      const band = bands[b] as MempoolEntry[];
      if (band.length === 0) continue;
      const bandVsize = vsizes[b] ?? 0;
      if (current.vsize + bandVsize <= maxBlockVsize) {
        current.take(band, b, 0, band.length, bandVsize);
        continue;
      }
      // A block boundary falls inside this band: walk it in order.
      let start = 0;
      let runVsize = 0;
      for (let i = 0; i < band.length; i++) {
        const size = (band[i] as MempoolEntry).vsize;
        if (current.nTx + (i - start) > 0 && current.vsize + runVsize + size > maxBlockVsize) {
          if (i > start) current.take(band, b, start, i - start, runVsize);
          blocks.push(current);
          if (blocks.length >= maxBlocks) break;
          current = createTemplate();
          start = i;
          runVsize = 0;
        }
        runVsize += size;
      }
      if (blocks.length < maxBlocks) current.take(band, b, start, band.length - start, runVsize);
    }
    if (current.nTx > 0 && blocks.length < maxBlocks) blocks.push(current);
    return blocks;
  };

  const model: MempoolModel = {
    size: () => index.size,
    vsize: () => totalVsize,
    has: (txid) => index.has(txid),
    add(entry) {
      if (index.has(entry.txid)) return;
      const b = bandOf(entry.feeRate);
      const band = bands[b] as MempoolEntry[];
      const at = upperBound(band, entry);
      if (at === band.length) band.push(entry);
      else band.splice(at, 0, entry);
      vsizes[b] = (vsizes[b] ?? 0) + entry.vsize;
      index.set(entry.txid, { entry, band: b });
      totalVsize += entry.vsize;
      if (b < low) low = b;
      if (b > high) high = b;
    },
    remove(txid) {
      const found = index.get(txid);
      if (!found) return undefined;
      const band = bands[found.band] as MempoolEntry[];
      // The entry sits just before its own upper bound (indexOf is only a safety net).
      const at = upperBound(band, found.entry) - 1;
      band.splice(band[at] === found.entry ? at : band.indexOf(found.entry), 1);
      forget(found.entry, found.band);
      return found.entry;
    },
    evictLowest() {
      for (; low <= high; low++) {
        const entry = bands[low]?.pop();
        if (entry) {
          forget(entry, low);
          return entry;
        }
      }
      return undefined;
    },
    project,
    mine(maxBlockVsize) {
      const block = project(1, maxBlockVsize)[0];
      if (!block) return [];
      const mined = block.entries();
      // The first block is a prefix of every band it touches: cut each in one splice.
      for (const run of block.runs) {
        for (const entry of run.band.splice(run.start, run.count)) forget(entry, run.bandIndex);
      }
      return mined;
    },
  };
  return model;
}
