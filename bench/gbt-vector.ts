import type { TemplateTx } from '../plugins/inputs/bitcoind/template/index.js';

/**
 * mempool.space's GBT test vector's folder (see ../shared/fixtures/README.md), beside the
 * checkout, as seen from the compiled bench (`dist/bench/`).
 */
export const GBT_DIR = new URL('../../../shared/fixtures/mempool-repo/gbt/', import.meta.url);

/** The vector's three files. */
export const GBT_FILES = ['test-buffer.bin', 'test-data-ids.json', 'target-template.json'];

/**
 * Parse the vector's big-endian mempool buffer: u32 count, then per transaction u32 uid, f64 fee,
 * u32 weight, u32 sigops, f64 feePerVsize, f64 effectiveFeePerVsize (both recomputed by the
 * builder, so skipped), u32 parent count and that many u32 parent uids. Throws on trailing bytes.
 */
export function parseMempoolBuffer(buf: Uint8Array): TemplateTx[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const txs: TemplateTx[] = [];
  let at = 4;
  for (let i = view.getUint32(0); i > 0; i--) {
    const count = view.getUint32(at + 36);
    const parents = Array.from({ length: count }, (_, j) => view.getUint32(at + 40 + 4 * j));
    const [uid, fee] = [view.getUint32(at), view.getFloat64(at + 4)];
    txs.push({ uid, fee, weight: view.getUint32(at + 12), sigops: view.getUint32(at + 16), parents });
    at += 40 + 4 * count;
  }
  if (at !== buf.byteLength) throw new Error(`mempool buffer: ${buf.byteLength - at} trailing bytes`);
  return txs;
}
