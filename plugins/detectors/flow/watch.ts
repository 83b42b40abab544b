import { watch, watchFile, unwatchFile, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';

/** A running watch; {@link FileWatch.close} stops it and cancels a pending call. */
export interface FileWatch {
  close(): void;
}

export interface FileWatchOptions {
  /** Quiet time after the last change before `onChange` runs (ms). Default 100. */
  debounceMs?: number;
  /** Poll interval when the folder cannot be watched (ms). Default 1000. */
  pollMs?: number;
  /** The watcher failed or fell back to polling. */
  onError?(error: Error): void;
}

/**
 * Call `onChange` once things settle after the file at `path` is written, replaced or
 * recreated. Watches the file's folder and filters on the file name, because many editors save
 * by writing a temporary file and renaming it over the original: a watch on the file itself
 * follows the old inode and goes silent. A burst of events (truncate, write, rename) gives one
 * call, `debounceMs` after the last event. Falls back to polling `stat` when the folder cannot
 * be watched (some network file systems). Never keeps the process alive.
 */
export function createFileWatch(
  path: string,
  onChange: () => void,
  options: FileWatchOptions = {},
): FileWatch {
  const debounceMs = options.debounceMs ?? 100;
  const name = basename(path);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const schedule = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (!closed) onChange();
    }, debounceMs);
    timer.unref();
  };

  let watcher: FSWatcher | null = null;
  let polling = false;
  const poll = (current: Stats, previous: Stats) => {
    if (
      current.mtimeMs !== previous.mtimeMs ||
      current.ino !== previous.ino ||
      current.size !== previous.size
    ) {
      schedule();
    }
  };
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
      // Some platforms do not say which file changed: then it may be ours.
      if (file === null || file === name) schedule();
    });
    watcher.on('error', (error) => options.onError?.(error));
  } catch (error) {
    options.onError?.(error as Error);
    watchFile(path, { interval: options.pollMs ?? 1000, persistent: false }, poll);
    polling = true;
  }

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      if (polling) unwatchFile(path, poll);
    },
  };
}
