import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BLOCK = fileURLToPath(
  new URL('../../../shared/fixtures/mainnet-block-277647-esplora-full.json', import.meta.url),
);

type Tx = Record<string, unknown> & {
  txid: string;
  weight: number;
  fee: number;
  vout: Array<{ value: number }>;
};

/** A txid from a counter: 64 hex digits, distinct per transaction of the run. */
const txidOf = (n: number) => n.toString(16).padStart(64, '0');

/**
 * A feed shaped like mempool.space's pushes for the black-box benchmark: `mempool-transactions`
 * frames of `perFrame` new transactions (the real transactions of block 277647, each under a fresh
 * txid), with two replacements and two removals of the previous frame's transactions in each,
 * a `mempool-blocks` update with each block, and a block every `blockEvery` transactions mining
 * as many of the oldest still unmined (so that, as on mainnet, what arrives is mined: pending
 * whales, and what follows them, do not pile up). Frames are produced on demand from string templates, so the
 * feed itself holds a few MB whatever the run's length. With `smallOnly`, the frames carry only the
 * block's transactions of at most 100 BTC (the block has 3 whales among 212: 1.4% of a feed
 * otherwise); `marker` still sends a whale.
 */
export function createFeed(perFrame: number, blockEvery: number, options: { smallOnly?: boolean } = {}) {
  const base: Tx[] = existsSync(BLOCK)
    ? (JSON.parse(readFileSync(BLOCK, 'utf8')) as Tx[]).slice(1)
    : [
        {
          txid: '',
          fee: 1000,
          weight: 900,
          vin: [{ txid: 'aa'.repeat(32), vout: 0, sequence: 0xffffffff, prevout: { value: 2000 } }],
          vout: [{ value: 1000 }],
        },
      ];
  // Each template serialised once, split around its txid: a transaction costs one join.
  const parts = base.map((t) => {
    const json = JSON.stringify({
      ...t,
      txid: '@',
      vsize: Math.ceil(t.weight / 4),
      feePerVsize: t.fee / (t.weight / 4),
      status: { confirmed: false },
    });
    const at = json.indexOf('"@"');
    return [json.slice(0, at + 1), json.slice(at + 2)] as const;
  });
  const whaleSats = 100e8;
  const isWhale = (t: Tx) => t.vout.reduce((s, o) => s + o.value, 0) > whaleSats;
  const whales = base.filter(isWhale).length;
  const framed = options.smallOnly ? parts.filter((_, i) => !isWhale(base[i] as Tx)) : parts;
  let n = 0;
  let frame = 0;
  let height = 900_000;
  let previous: string[] = [];
  const unmined: string[] = [];
  const txJson = (k: number) => {
    const [head, tail] = framed[k % framed.length] as readonly [string, string];
    return head + txidOf(k) + tail;
  };
  const projected = () =>
    JSON.stringify(
      [40, 20, 10, 5, 2, 1].map((low, i) => ({
        blockSize: 1_600_000,
        blockVSize: 997_000,
        nTx: 3_000 + i,
        totalFees: 20_000_000,
        medianFee: low * 2,
        feeRange: [low, low * 1.5, low * 2, low * 3, low * 5, low * 8, low * 20],
      })),
    );
  return {
    source: existsSync(BLOCK)
      ? `the ${base.length} non-coinbase transactions of mainnet block 277647 (${whales} over 100 BTC)`
      : 'synthetic transactions (fixtures absent)',
    /** Share of the feed's transactions that are whales at 100 BTC. */
    whaleShare: options.smallOnly ? 0 : whales / base.length,
    sent: () => n,
    /** A frame with one whale under `txid`: the end-of-run marker a consumer answers to. */
    marker(txid: string): string {
      const k = base.findIndex(isWhale);
      const [head, tail] = parts[Math.max(0, k)] as readonly [string, string];
      return `{"mempool-transactions":{"sequence":${++frame},"added":[${head + txid + tail}],"removed":[],"mined":[],"replaced":[]}}`;
    },
    /** The first frame: projected blocks, so the urgency detector has something to read. */
    hello: () => `{"mempool-blocks":${projected()}}`,
    /** The next frame (and a block frame after it when one is due). */
    next(): string[] {
      const added: string[] = [];
      const ids: string[] = [];
      for (let i = 0; i < perFrame; i++, n++) {
        added.push(txJson(n));
        ids.push(txidOf(n));
      }
      // Two of the previous frame's transactions replaced (by new ones), two removed.
      const replaced = previous.slice(0, 2).map((old) => {
        const by = txJson(n);
        unmined.push(txidOf(n++));
        return `{"replaced":"${old}","by":${by}}`;
      });
      const removed = previous.slice(2, 4).map((t) => `"${t}"`);
      unmined.push(...ids.slice(4));
      previous = ids;
      frame++;
      const out = [
        `{"mempool-transactions":{"sequence":${frame},"added":[${added.join(',')}],"removed":[${removed.join(',')}],"mined":[],"replaced":[${replaced.join(',')}]}}`,
      ];
      if (Math.floor(n / blockEvery) > Math.floor((n - perFrame) / blockEvery)) {
        const mined = unmined.splice(0, blockEvery).map((t) => `"${t}"`);
        height++;
        const time = Math.floor(Date.now() / 1000);
        out.push(
          `{"block":{"id":"${txidOf(height + 2 ** 40)}","height":${height},"timestamp":${time}},"mempool-blocks":${projected()},"mempool-transactions":{"sequence":${++frame},"added":[],"removed":[],"mined":[${mined.join(',')}],"replaced":[]}}`,
        );
      }
      return out;
    },
  };
}
