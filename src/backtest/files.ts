import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The smallest part size `--max-size` accepts: below it, rotation would mostly write headers. */
export const MIN_PART_BYTES = 64 * 1024;

/** `spout record --max-size` when none is given. */
export const DEFAULT_MAX_SIZE = '100MB';

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * A size as written on the command line: `100MB`, `512KB`, `1.5GB`, `2GiB` or plain bytes. Units
 * are powers of 1024 (as `ls -lh` shows sizes; `MB` and `MiB` mean the same). Returns the bytes,
 * or a sentence saying what is wrong: not a size, or under {@link MIN_PART_BYTES}.
 */
export function parseSize(text: string): number | string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt])?(?:i?b)?\s*$/i.exec(text);
  if (!m) return `"${text}" is not a size; write it as 100MB, 512KB or 2GB`;
  const bytes = Math.floor(Number(m[1]) * (UNITS[(m[2] ?? 'b').toLowerCase()] as number));
  if (bytes < MIN_PART_BYTES) return `"${text}" is under the smallest part size, 64KB`;
  return bytes;
}

/** `bytes` for people: `812 B`, `64.0 KB`, `1.5 MB` (powers of 1024, as {@link parseSize} reads them). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The stem and suffix a part number goes between: `rec` + `.ndjson.gz`, `rec` + `.gz`, or `rec` + ``. */
function split(path: string): { stem: string; suffix: string } {
  for (const suffix of ['.ndjson.gz', '.gz'])
    if (path.endsWith(suffix) && path.length > suffix.length)
      return { stem: path.slice(0, -suffix.length), suffix };
  return { stem: path, suffix: '' };
}

/**
 * The file of part `n` of the recording written to `out`: `out` itself for part 0, then
 * `rec.1.ndjson.gz`, `rec.2.ndjson.gz`, … for `out` = `rec.ndjson.gz` (the number goes before
 * `.ndjson.gz` or `.gz`, else at the end).
 */
export function partPath(out: string, n: number): string {
  if (n === 0) return out;
  const { stem, suffix } = split(out);
  return `${stem}.${n}${suffix}`;
}

/**
 * The files of a recording to `out` that exist now: `out` and its rotated parts, in part order.
 * A missing folder holds none.
 */
export async function existingParts(out: string): Promise<string[]> {
  const { stem, suffix } = split(basename(out));
  const names = await readdir(dirname(out)).catch(() => [] as string[]);
  const found: Array<[number, string]> = [];
  for (const name of names) {
    if (name === basename(out)) found.push([0, name]);
    else if (name.startsWith(`${stem}.`) && name.endsWith(suffix)) {
      const middle = name.slice(stem.length + 1, name.length - suffix.length);
      if (/^[1-9]\d*$/.test(middle)) found.push([Number(middle), name]);
    }
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, name]) => join(dirname(out), name));
}
