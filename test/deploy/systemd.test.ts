/**
 * deploy/spout.service and what deploy/README.md says about it: the unit (and the drop-in the
 * README shows for another node path) pass `systemd-analyze verify` where systemd is installed,
 * and the README's admin commands run with the unit's user, node, entry point and secrets.
 */
import { execFile } from 'node:child_process';
import { HEAP_FLAGS } from '../../src/kernel/heap.js';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const unit = await readFile(join(DEPLOY, 'spout.service'), 'utf8');
const readme = await readFile(join(DEPLOY, 'README.md'), 'utf8');

/** The values of `key=` in the unit, in order. */
const values = (text: string, key: string) =>
  [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

const execStart = values(unit, 'ExecStart')[0]!.split(/\s+/);
const NODE = execStart[0]!;
/** The entry point and what follows it: node's own flags (HEAP_FLAGS) come before. */
const SCRIPT = execStart.findIndex((a) => a.endsWith('main.js'));

/** `systemd-analyze verify` where systemd is installed (no running systemd needed). */
const verify = (file: string) =>
  new Promise<{ code: number; output: string }>((done) =>
    execFile('systemd-analyze', ['verify', file], (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: stdout + stderr }),
    ),
  );
const hasSystemd = await new Promise<boolean>((done) =>
  execFile('systemd-analyze', ['--version'], (error) => done(!error)),
);

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('deploy/spout.service', () => {
  it('runs node by an absolute path (no PATH lookup), as spout, with a 0700 state directory', () => {
    expect(NODE).toBe('/usr/bin/node');
    expect(execStart.slice(1, SCRIPT)).toEqual([...HEAP_FLAGS]);
    expect(execStart.slice(SCRIPT)).toEqual([
      '/opt/spout/dist/main.js',
      'run',
      '--config',
      '/etc/spout/config.yaml',
    ]);
    expect(values(unit, 'User')).toEqual(['spout']);
    expect(values(unit, 'StateDirectory')).toEqual(['spout']);
    expect(values(unit, 'StateDirectoryMode')).toEqual(['0700']);
    expect(values(unit, 'EnvironmentFile')).toEqual(['-/etc/spout/spout.env']);
    expect(values(unit, 'ProtectHome')).toEqual(['true']);
    expect(values(unit, 'RestartPreventExitStatus')).toEqual(['2']);
  });

  it("README: the admin commands use the unit's user, secrets, node and entry point", () => {
    const fn = /^spout\(\) \{\n([\s\S]*?)\n\}/m.exec(readme);
    expect(fn, 'a spout() shell function').not.toBeNull();
    const body = fn![1]!.replace(/\\\n/g, ' ');
    expect(body).toMatch(/\bsystemd-run\b/);
    expect(body).toMatch(/--uid=spout\b/);
    expect(body).toMatch(/--pipe\b/);
    expect(body).toMatch(/--wait\b/);
    expect(body).toContain(`EnvironmentFile=${values(unit, 'EnvironmentFile')[0]}`);
    expect(body).toContain(`SPOUT_CONFIG=${execStart[SCRIPT + 3]}`);
    // Admin commands are short-lived: the entry point without the heap flags is enough.
    expect(body).toContain(`${NODE} ${execStart[SCRIPT]} "$@"`);
    // Secrets never on a command line: no `env $(cat spout.env)`-style expansion.
    expect(body).not.toMatch(/\$\(.*spout\.env/);
  });

  describe.skipIf(!hasSystemd)('systemd-analyze verify', () => {
    /** The unit in a temporary folder, with node where this test runs it, plus optional drop-ins. */
    const install = async (dropIn?: string) => {
      const dir = await mkdtemp(join(tmpdir(), 'spout-unit-'));
      dirs.push(dir);
      const file = join(dir, 'spout.service');
      await writeFile(file, unit.replaceAll(`${NODE} `, `${process.execPath} `));
      if (dropIn !== undefined) {
        await mkdir(join(dir, 'spout.service.d'));
        await writeFile(join(dir, 'spout.service.d', 'override.conf'), dropIn);
      }
      return file;
    };

    it('accepts the unit', async () => {
      const { code, output } = await verify(await install());
      expect(output).toBe('');
      expect(code).toBe(0);
    });

    it('refuses it when node is not at the ExecStart= path', async () => {
      const file = await install();
      await writeFile(file, unit.replaceAll(`${NODE} `, '/nonexistent/bin/node '));
      const { code, output } = await verify(file);
      expect(code).not.toBe(0);
      expect(output).toContain('/nonexistent/bin/node');
    });

    it("accepts the README's ExecStart= drop-in for another node path; it needs its empty ExecStart= line", async () => {
      const block = /```ini\n([\s\S]*?)```/.exec(readme);
      expect(block, 'an ini block in deploy/README.md').not.toBeNull();
      const dropIn = block![1]!;
      const starts = values(dropIn, 'ExecStart');
      expect(starts[0]).toBe('');
      const otherNode = starts[1]!.split(/\s+/)[0]!;
      expect(otherNode).not.toBe(NODE);
      expect(starts[1]!.split(/\s+/).slice(1)).toEqual(execStart.slice(1));
      const here = dropIn.replaceAll(`${otherNode} `, `${process.execPath} `);
      const good = await verify(await install(here));
      expect(good.output).toBe('');
      expect(good.code).toBe(0);
      const withoutReset = here.replace(/^ExecStart=\n/m, '');
      const bad = await verify(await install(withoutReset));
      expect(bad.code).not.toBe(0);
      expect(bad.output).toMatch(/more than one ExecStart/);
    });
  });
});
