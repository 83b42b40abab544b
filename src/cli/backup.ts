import { readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pidFile, processAlive } from '../control/pid.js';
import { sendRequest, withdrawRequest } from '../control/writer.js';
import { isSpoutError } from '../kernel/errors.js';
import { backupText, readBackupFile, restoreStore, writeFileAtomic } from '../store/backup.js';
import { compactingPath, journalPath, readStoreFiles } from '../store/file-format.js';
import { requestsDir, type BackupAnswer, type BackupRequest } from './control.js';
import type { CliEnv } from './io.js';
import { loadForCommand } from './load.js';

/** How long `backup` waits for the running process to write the snapshot. */
const WAIT_MS = 60_000;

/**
 * `spout backup PATH`: one file holding the whole store (snapshot with the journal applied),
 * consistent whether Spout runs or not. While `spout run` owns the store the running process
 * flushes and takes the snapshot from memory (nothing is copied half-written); otherwise the
 * files are read directly. PATH may be a folder (the file is then named by the time). Written
 * atomically (temporary file + rename), mode 0600. Exit 0; 1 when it fails; 2 for usage errors.
 */
export async function backupCommand(
  args: string[],
  flags: { config?: string },
  cli: CliEnv,
): Promise<number> {
  const fail = (message: string, code: number) => (cli.io.err(`spout backup: ${message}\n`), code);
  if (args.length !== 1 || !args[0]) return fail('give one file (or folder) to write: spout backup PATH', 2);
  const config = await loadForCommand(flags.config, cli);
  if (typeof config === 'number') return config;
  const store = resolve(config.storage.path);
  let target = resolve(cli.cwd, args[0]);
  if ((await stat(target).catch(() => null))?.isDirectory())
    target = join(target, `spout-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  if ([store, journalPath(store), compactingPath(store), pidFile(store)].includes(target))
    return fail(`${target} is one of the store's own files; write the backup elsewhere`, 2);
  try {
    let done = await (running(store) ? viaRunningProcess(store, target) : directly(store, target));
    // A spout run that started while the files were read may have changed them: ask it instead.
    if (done === 'started') done = await viaRunningProcess(store, target);
    if (typeof done === 'string') return fail(done, 1);
    const { header } = await readBackupFile(target);
    const counts = Object.entries(header.counts)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ');
    const total = Object.values(header.counts).reduce((a, b) => a + b, 0);
    cli.io.out(
      `backup of ${total} document(s) written to ${target}${counts ? ` (${counts})` : ''}; ` +
        `restore it with spout restore ${target}\n`,
    );
    return 0;
  } catch (error) {
    if (isSpoutError(error)) return fail(`${error.message} (${error.code})`, error.exit);
    return fail(`cannot write ${target}: ${(error as Error).message}`, 1);
  }
}

/**
 * `spout restore PATH`: replace the store at `storage.path` with a backup. Only while Spout is
 * stopped (`SPOUT_STORE_IN_USE` otherwise); the file must be a complete, intact backup
 * (`SPOUT_BACKUP_INVALID` otherwise). Either refusal changes nothing. The replaced snapshot and
 * journal are kept beside the store (`….before-restore-<time>`).
 */
export async function restoreCommand(
  args: string[],
  flags: { config?: string },
  cli: CliEnv,
): Promise<number> {
  const fail = (message: string, code: number) => (cli.io.err(`spout restore: ${message}\n`), code);
  if (args.length !== 1 || !args[0]) return fail('give the backup file to restore: spout restore PATH', 2);
  const config = await loadForCommand(flags.config, cli);
  if (typeof config === 'number') return config;
  const store = resolve(config.storage.path);
  const source = resolve(cli.cwd, args[0]);
  try {
    if (running(store))
      return fail(
        `a running spout (pid in ${pidFile(store)}) owns the store ${store}. Nothing was changed. ` +
          `Stop it, then restore (SPOUT_STORE_IN_USE)`,
        1,
      );
    const { data, header } = await readBackupFile(source);
    const { kept } = await restoreStore(store, data);
    const total = Object.values(header.counts).reduce((a, b) => a + b, 0);
    cli.io.out(
      `restored ${total} document(s) from ${source} (taken ${header.createdAt}) into ${store}` +
        `${kept.length > 0 ? `; the previous files are kept as ${kept.join(', ')}` : ''}. Start spout run.\n`,
    );
    return 0;
  } catch (error) {
    if (isSpoutError(error)) return fail(`${error.message} (${error.code})`, error.exit);
    throw error;
  }
}

const running = (store: string): boolean => processAlive(pidFile(store));

/** Ask the running process for the snapshot, then move it to `target`. Returns an error sentence on failure. */
async function viaRunningProcess(store: string, target: string): Promise<true | string> {
  const dir = requestsDir(store);
  const request: BackupRequest = { type: 'backup' };
  const { file, answer } = await sendRequest<BackupAnswer | { error: string }>(dir, request, WAIT_MS);
  if (!answer) {
    await withdrawRequest(file);
    return `the running spout did not answer within ${WAIT_MS / 1000} s (is it stuck, or older than spout backup?); nothing was written`;
  }
  if ('error' in answer) return `the running spout could not write the backup: ${answer.error}`;
  const staged = join(dir, answer.file);
  try {
    // Verified before it replaces anything at `target`.
    await readBackupFile(staged);
    await writeFileAtomic(target, await readFile(staged, 'utf8'));
  } finally {
    await rm(staged, { force: true });
  }
  return true;
}

/** Read the store files (the journal applied) and write the backup; 'started' if a spout run started meanwhile. */
async function directly(store: string, target: string): Promise<true | string | 'started'> {
  const { data, exists, journalBytes } = await readStoreFiles(store);
  if (running(store)) return 'started';
  if (!exists && journalBytes === 0) return `there is no store at ${store} (storage.path); check --config`;
  await writeFileAtomic(target, backupText(data, store));
  return true;
}
