/**
 * Compare two txids (64 hex digits, lower-case as Core prints them) as Bitcoin Core compares
 * them: `uint256` compares its bytes in internal order, the reverse of the hex shown, so the
 * last byte shown decides first. Core prefers the smaller on a tie of ancestor scores.
 * Allocation-free: it reads the digits in place.
 */
export function compareTxids(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = a.length - 2; i >= 0; i -= 2) {
    const d = a.charCodeAt(i) - b.charCodeAt(i) || a.charCodeAt(i + 1) - b.charCodeAt(i + 1);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Merge two lists ascending by {@link compareTxids} into a new one. The template keeps the
 * mempool in this order between builds, so a build sorts only what arrived since the last one.
 */
export function mergeByTxid<T extends { txid: string }>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = []; // pushed, not `new Array(n)`: V8 makes that a slow dictionary from 100,000 on
  let [i, j] = [0, 0];
  while (i < a.length && j < b.length)
    out.push(compareTxids(a[i]!.txid, b[j]!.txid) <= 0 ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

/** The index of `txid` in `list` (ascending by {@link compareTxids}), or -1. */
export function findByTxid<T extends { txid: string }>(list: readonly T[], txid: string): number {
  let [lo, hi] = [0, list.length - 1];
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareTxids(list[mid]!.txid, txid);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
