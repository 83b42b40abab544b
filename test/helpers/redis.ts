import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from '../../bench/free-port.js';

/** Debian's redis-server (`.ci/run` installs it); tests that need it skip, saying so, without it. */
export const REDIS_SERVER = '/usr/bin/redis-server';
export const hasRedis = existsSync(REDIS_SERVER);
if (!hasRedis)
  console.warn(`Redis engine tests skipped: ${REDIS_SERVER} is missing (apt-get install -y redis-server)`);

/**
 * A throw-away redis-server on a free loopback port; resolves once it accepts connections.
 * Without persistence by default; with `aof` (a folder), append-only with fsync every second,
 * and `restart()` stops it (a clean shutdown, which writes the AOF out) and starts it again on
 * the same port and folder.
 */
export async function startRedis(
  options: { aof?: string } = {},
): Promise<{ url: string; stop(): Promise<void>; restart(): Promise<void> }> {
  const port = await freePort();
  const persistence = options.aof
    ? ['--dir', options.aof, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '']
    : ['--save', '', '--appendonly', 'no'];
  const launch = async () => {
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', ...persistence],
      // Not under the suite's libfaketime (CI shifts the clock): redis-server hangs in it at start
      // ("recursive calls to clock_gettime"). Its clock is its own business: TTLs are relative.
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('Ready to accept connections')) resolve();
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
      setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${out}`)), 10_000).unref();
    });
    return child;
  };
  let child = await launch();
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    async restart() {
      await stop();
      child = await launch();
    },
  };
}
