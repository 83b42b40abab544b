import { spawn, type ChildProcess } from 'node:child_process';
import { childEnv } from './env.js';
import { fileURLToPath } from 'node:url';
import type { CliEnv } from '../../src/cli/io.js';

/** The built CLI (`npm test` builds first, through the `pretest` script). */
export const CLI = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when `pattern` appears in stdout or stderr (rejects if the process exits first). */
  waitFor(pattern: RegExp | string, ms?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start the built CLI as a child process. The environment is only what is given (plus PATH and the clock shift, see {@link childEnv}). */
export function start(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const poke = () => waiters.forEach((w) => w());
  child.stdout?.setEncoding('utf8').on('data', (d: string) => ((out += d), poke()));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => ((err += d), poke()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      resolve({ code, signal });
      poke();
    }),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, ms = 10_000) {
      const test = () =>
        typeof pattern === 'string' ? (out + err).includes(pattern) : pattern.test(out + err);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            finish(new Error(`timed out waiting for ${String(pattern)}\nstdout:\n${out}\nstderr:\n${err}`)),
          ms,
        );
        const check = () => {
          if (test()) finish();
          else if (done)
            finish(new Error(`process exited before ${String(pattern)}\nstdout:\n${out}\nstderr:\n${err}`));
        };
        const finish = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Run the CLI to completion. */
export async function run(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const p = start(args, options);
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/**
 * A CLI environment for running a command in-process (e.g. `tokenCommand`), with stdout and
 * stderr captured together in `output()`; `clear()` forgets what was captured.
 */
export function captureCli(cwd: string): { cli: CliEnv; output(): string; clear(): void } {
  let out = '';
  const write = (t: string) => void (out += t);
  return {
    cli: { argv: [], env: {}, cwd, io: { out: write, err: write }, onSignal: () => {}, isTTY: false },
    output: () => out,
    clear: () => void (out = ''),
  };
}
