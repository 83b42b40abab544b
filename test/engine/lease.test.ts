import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLeaderLease, fencedSet } from '../../src/engine/lease.js';
import { hasRedis, startRedis } from '../helpers/redis.js';

// Issue 18, the leader's lease with fencing, on Debian's redis-server: one leader at a time, a
// higher token at each takeover, and a paused leader (SIGSTOP past its lease) whose writes are
// refused when it wakes up, and who learns it lost the lease.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function redisFor() {
  const server = await startRedis();
  cleanups.push(() => server.stop());
  const client = () => {
    const r = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    cleanups.push(() => r.quit().catch(() => r.disconnect()));
    return r;
  };
  return { url: server.url, client };
}

// A leader in a process of its own (so it can be paused), printing what happens to it.
const LEADER = `
import { Redis } from 'ioredis';
import { createInterface } from 'node:readline';
import { createLeaderLease, fencedSet } from './dist/src/engine/lease.js';
const redis = new Redis(process.argv[1]);
const lease = createLeaderLease({ redis, deployment: 'd', leaseMs: 600, onLost: (why) => console.log('lost', why) });
console.log('leader', await lease.tryAcquire());
createInterface({ input: process.stdin }).on('line', async () => {
  console.log('written', await fencedSet(redis, 'd', 1, 'state', 'from the old leader'), 'token', lease.token());
});`;

describe.skipIf(!hasRedis)('the leader lease (redis-server)', () => {
  it('one leader at a time; a takeover draws a higher fencing token; a stale token cannot write', async () => {
    const { client } = await redisFor();
    const lost: string[] = [];
    const a = createLeaderLease({
      redis: client(),
      deployment: 'd',
      leaseMs: 2000,
      onLost: (r) => lost.push(r),
    });
    const b = createLeaderLease({
      redis: client(),
      deployment: 'd',
      leaseMs: 2000,
      onLost: (r) => lost.push(r),
    });
    cleanups.push(
      () => a.release(),
      () => b.release(),
    );
    const t1 = await a.tryAcquire();
    expect(t1).toBe(1);
    expect(await b.tryAcquire()).toBeNull();
    expect(b.token()).toBeNull();
    const redis = client();
    expect(await fencedSet(redis, 'd', t1!, 'state', 'a')).toBe(true);
    await a.release();
    expect(a.token()).toBeNull();
    const t2 = await b.tryAcquire();
    expect(t2).toBe(2);
    expect(await fencedSet(redis, 'd', t1!, 'state', 'stale')).toBe(false);
    expect(await fencedSet(redis, 'd', t2!, 'state', 'b')).toBe(true);
    expect(await redis.get('state')).toBe('b');
    expect(lost).toEqual([]); // a release is no loss
  });

  it('a lease taken whose token could not be drawn (Redis gone in between) is given back, not held for ever', async () => {
    const { client } = await redisFor();
    const failing = client();
    const incr = failing.incr.bind(failing);
    let fail = true;
    failing.incr = ((key: string) =>
      fail ? Promise.reject(new Error('Connection is closed.')) : incr(key)) as typeof failing.incr;
    const a = createLeaderLease({ redis: failing, deployment: 'd', leaseMs: 60_000, onLost: () => {} });
    await expect(a.tryAcquire()).rejects.toThrow('Connection is closed.');
    expect(a.token()).toBeNull();
    // Another instance takes it at once: without the give-back it would wait for ever, the
    // orphaned mutex refreshing the lease every 20 s.
    const b = createLeaderLease({ redis: client(), deployment: 'd', leaseMs: 60_000, onLost: () => {} });
    cleanups.push(() => b.release());
    expect(await b.tryAcquire()).toBe(1);
    fail = false;
    expect(await a.tryAcquire()).toBeNull();
  });

  it('a leader paused past its lease is replaced; woken up, its write is refused and it learns it lost', async () => {
    const { url, client } = await redisFor();
    const child = spawn(process.execPath, ['--input-type=module', '-e', LEADER, url], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const lines: string[] = [];
    const waiters: Array<() => void> = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      lines.push(...d.split('\n').filter(Boolean));
      waiters.splice(0).forEach((w) => w());
    });
    const line = async (prefix: string) => {
      while (!lines.some((l) => l.startsWith(prefix))) await new Promise<void>((r) => waiters.push(r));
      return lines.find((l) => l.startsWith(prefix)) as string;
    };
    expect(await line('leader')).toBe('leader 1');

    child.kill('SIGSTOP');
    const b = createLeaderLease({ redis: client(), deployment: 'd', leaseMs: 2000, onLost: () => {} });
    cleanups.push(() => b.release());
    // Another instance retries until the paused leader's lease expires (600 ms).
    let token: number | null = null;
    const started = Date.now();
    while (token === null) {
      token = await b.tryAcquire();
      if (token === null) await new Promise((r) => setTimeout(r, 50)); // the retry interval of a contender
    }
    expect(token).toBe(2);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await fencedSet(client(), 'd', token, 'state', 'from the new leader')).toBe(true);

    child.kill('SIGCONT');
    expect(await line('lost')).toMatch(/^lost /);
    child.stdin.write('write\n');
    expect(await line('written')).toBe('written false token null');
    expect(await client().get('state')).toBe('from the new leader');
    child.stdin.end();
    child.kill('SIGTERM');
    await once(child, 'exit');
  });
});
