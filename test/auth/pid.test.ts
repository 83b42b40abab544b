import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureCli } from '../helpers/cli.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tokenCommand } from '../../src/cli/token.js';
import { pidFile } from '../../src/control/pid.js';
import { readStoreFiles } from '../../src/store/file-format.js';

// The pid files that tell the CLI whether `spout run` owns the store (and whether something
// applies token requests): a wrong answer makes the CLI write a store another process owns.

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

describe('spout token with a pid file', () => {
  async function workspace() {
    const dir = await folder();
    const config = join(dir, 'config.yaml');
    await writeFile(
      config,
      [
        `storage: { path: ${JSON.stringify(join(dir, 'spout.json'))} }`,
        'auth: { secret: "pid-test-secret-0123456789-abcdefghijklmnop" }',
        'inputs:',
        '  feed: { use: replay }',
      ].join('\n'),
    );
    const { cli, output, clear } = captureCli(dir);
    const revoke = async (jti: string) => {
      clear();
      // --force: these jtis were never issued here; what is tested is where the revocation goes.
      return { code: await tokenCommand(['revoke', jti], { config, force: true }, cli), out: output() };
    };
    return { dir, store: join(dir, 'spout.json'), revoke };
  }

  it('spout run of another user (EPERM) owns the store: the revocation is handed over, not written beside it', async () => {
    const w = await workspace();
    const pid = spawnSync(process.execPath, ['-e', '0']).pid as number;
    await writeFile(pidFile(w.store), String(pid));
    otherUsersProcess(pid);
    const r = await w.revoke('jti-1');
    expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/the running spout applies it/) });
    expect((await readdir(`${w.store}.token-requests`)).filter((n) => n.endsWith('.json'))).toHaveLength(1);
    expect(await readdir(w.dir)).not.toContain('spout.json');
  });

  it('an empty pid file is no running spout: the store is written directly', async () => {
    const w = await workspace();
    await writeFile(pidFile(w.store), '');
    const r = await w.revoke('jti-2');
    expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/^token jti-2 revoked \(not issued/) });
    expect((await readStoreFiles(w.store)).data.collections.tokens).toEqual({
      'jti-2': { jti: 'jti-2', revokedAt: expect.any(String) },
    });
  });
});
