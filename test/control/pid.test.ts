import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { processAlive, removePidFile, writePidFile } from '../../src/control/pid.js';

// The pid files that tell a command whether a process is there to take its requests: a wrong
// answer makes the CLI write a store another process owns.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length) await cleanups.pop()?.();
});

async function folder() {
  const dir = await mkdtemp(join(tmpdir(), 'spout-pid-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** process.kill(pid, 0) answers as for a process of another user (EPERM) for `pid`. */
function otherUsersProcess(pid: number) {
  const kill = process.kill.bind(process);
  vi.spyOn(process, 'kill').mockImplementation((target, signal) => {
    if (target === pid) throw Object.assign(new Error(`kill EPERM`), { code: 'EPERM', syscall: 'kill' });
    return kill(target, signal);
  });
}

describe('pid files', () => {
  it('only a positive integer is a pid: an empty, zero, negative or torn file names no process', async () => {
    const dir = await folder();
    const file = join(dir, 'x.pid');
    expect(processAlive(file)).toBe(false); // no file
    for (const text of ['', '\n', '0', '-1', `-${process.pid}`, 'abc', `${process.pid}abc`, '1e3', '1.5'])
      await writeFile(file, text).then(() =>
        expect({ text, alive: processAlive(file) }).toEqual({ text, alive: false }),
      );
    await writeFile(file, `${process.pid}\n`);
    expect(processAlive(file)).toBe(true);
  });

  it('a process that has exited is not alive; one of another user (EPERM) is', async () => {
    const dir = await folder();
    const file = join(dir, 'x.pid');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
    await writeFile(file, String(gone));
    expect(processAlive(file)).toBe(false);
    otherUsersProcess(gone);
    expect(processAlive(file)).toBe(true);
  });

  it('writePidFile leaves the whole pid and no temporary file', async () => {
    const dir = await folder();
    const file = join(dir, 'spout.json.pid');
    await writePidFile(file);
    expect(await readFile(file, 'utf8')).toBe(String(process.pid));
    expect(await readdir(dir)).toEqual(['spout.json.pid']);
  });

  it('removePidFile removes only a pid file that still names this process', async () => {
    const dir = await folder();
    const file = join(dir, 'x.pid');
    await writeFile(file, '1');
    await removePidFile(file);
    expect(await readFile(file, 'utf8')).toBe('1'); // another process's
    await writePidFile(file);
    await removePidFile(file);
    expect(await readdir(dir)).toEqual([]);
    await removePidFile(file); // already gone: no error
  });
});
