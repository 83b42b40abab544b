import { readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

/*
 * Pid files tell a command whether a process is there to take its requests: `<store>.pid` names
 * the `spout run` that owns the store, `<store>.token-requests/consumer.pid` the process that
 * applies token requests.
 */

/** File holding the pid of the `spout run` that owns the store at `storePath`. */
export const pidFile = (storePath: string): string => `${storePath}.pid`;

/**
 * Whether the process named in pid file `file` is running. Only a positive integer is a pid (an
 * empty or torn file is not: `kill(0)` would signal our own process group). EPERM means the
 * process exists but belongs to another user: it is running.
 */
export function processAlive(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return false;
  }
  if (!/^\d+$/.test(text)) return false;
  const pid = Number(text);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Write our pid to `file` aside and rename it, so a reader never sees an empty or partial file. */
export async function writePidFile(file: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, String(process.pid));
  await rename(tmp, file);
}

/**
 * Remove pid file `file` if it still names this process; one another process has written over
 * it since is that process's to remove. A missing file is no error.
 */
export async function removePidFile(file: string): Promise<void> {
  const holder = await readFile(file, 'utf8').catch(() => '');
  if (holder === String(process.pid)) await rm(file, { force: true });
}
