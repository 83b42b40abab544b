import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/*
 * Ages are measured by the reader, on its own monotonic clock, from when it first saw a file as
 * it is now, never from the file's modification time: that is stamped by whatever clock the
 * file system (or the writer's machine) keeps, and a reader whose wall clock differs (a skewed
 * container, NFS, a clock shifted for tests) would take every file for stale or for brand new.
 */

/** How long the files of one folder have stood unchanged, as one reader has watched them. */
export interface FileAges {
  /**
   * Milliseconds since this reader first saw `file` as it is now (size, modification time and
   * inode unchanged): 0 the first time and after every change; null when it is gone. Reads the
   * clock once per call, unless the file is gone.
   */
  unchangedFor(file: string): Promise<number | null>;
  /** Forget every file not among `files` (those no longer in the folder). */
  keepOnly(files: Iterable<string>): void;
}

/** Ages on `now`, a monotonic clock in milliseconds (default `performance.now`). */
export function createFileAges(now: () => number = () => performance.now()): FileAges {
  const seen = new Map<string, { signature: string; since: number }>();
  return {
    async unchangedFor(file) {
      let signature: string;
      try {
        const s = await stat(file);
        signature = `${s.size}:${s.mtimeMs}:${s.ino}`;
      } catch {
        seen.delete(file);
        return null;
      }
      const at = now();
      const known = seen.get(file);
      if (known?.signature === signature) return at - known.since;
      seen.set(file, { signature, since: at });
      return 0;
    },
    keepOnly(files) {
      const keep = new Set(files);
      for (const file of seen.keys()) if (!keep.has(file)) seen.delete(file);
    },
  };
}
