import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createToken } from '../src/auth/tokens.js';
import { createEnvelope } from '../src/bus/envelope.js';
import { createEventStream } from '../src/engine/stream.js';
import { HEAP_FLAGS } from '../src/kernel/heap.js';
import { whale } from './whale.js';
import { freePort } from './free-port.js';

// Issue 18's engine benchmarks, through the built CLI on a local redis-server: how long a
// failover takes (the leader SIGKILLed, or stopped with SIGTERM), and the fan-out of one alert to
// WebSocket clients spread over three instances.

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const REDIS_SERVER = '/usr/bin/redis-server';
const SECRET = 'bench-engine-auth-secret-0123456789abcdef';

export interface EngineResult {
  leaseMs: number;
  /** SIGKILL of the leader → a follower leads: each run, ms. */
  killMs: number[];
  /** SIGTERM of the leader (it releases the lease) → a follower leads: each run, ms. */
  termMs: number[];
  fanout: {
    instances: number;
    clients: number;
    alerts: number;
    p50Ms: number;
    p99Ms: number;
    received: number;
    expected: number;
  };
}

export const hasRedisServer = () => existsSync(REDIS_SERVER);

export async function benchEngine(
  options: { runs?: number; clientsPerInstance?: number } = {},
): Promise<EngineResult> {
  const runs = options.runs ?? 10;
  const leaseMs = 2000;
  const redis = await startBenchRedis();
  const dir = await mkdtemp(join(tmpdir(), 'spout-bench-engine-'));
  const children = new Set<ChildProcess>();
  try {
    const config = async (name: string, items: unknown[]) => {
      const path = join(dir, `${name}.yaml`);
      await writeFile(
        path,
        [
          'log: { level: info, format: json }',
          'http: { listen: "127.0.0.1:${PORT}" }',
          `auth: { secret: "${SECRET}" }`,
          `engine: { use: redis, url: "${redis.url}", deployment: ${name}, leaseTime: ${leaseMs}ms }`,
          'inputs:',
          `  feed: { use: replay, items: ${JSON.stringify(items)} }`,
          'outputs:',
          '  live: { use: websocket }',
        ].join('\n') + '\n',
      );
      return path;
    };
    const instance = async (path: string) => {
      const port = await freePort();
      const child = spawn(process.execPath, [...HEAP_FLAGS, MAIN, 'run', '-c', path], {
        env: { ...process.env, PORT: String(port) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      let log = '';
      const waiters = new Set<() => void>();
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        log += d;
        for (const w of waiters) w();
      });
      const waitFor = (text: string) =>
        new Promise<number>((resolve) => {
          const check = () => {
            if (!log.includes(text)) return;
            waiters.delete(check);
            resolve(performance.now());
          };
          waiters.add(check);
          check();
        });
      return { child, port, waitFor };
    };
    const stop = async (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    };

    const failover = async (signal: NodeJS.Signals, run: number) => {
      const path = await config(`failover-${signal}-${run}`, []);
      const a = await instance(path);
      await a.waitFor('fencing token 1)');
      const b = await instance(path);
      await b.waitFor('following: another instance leads');
      const at = performance.now();
      void stop(a.child, signal);
      const led = await b.waitFor('fencing token 2)');
      await stop(a.child);
      await stop(b.child);
      return led - at;
    };
    const killMs: number[] = [];
    const termMs: number[] = [];
    for (let run = 0; run < runs; run++) killMs.push(await failover('SIGKILL', run));
    for (let run = 0; run < runs; run++) termMs.push(await failover('SIGTERM', run));

    // Fan-out: alerts appended to the deployment's stream as the leader appends them (with its
    // token), to clients spread over three instances; latency from the append to each receipt.
    const perInstance = options.clientsPerInstance ?? 1000;
    const alerts = 20;
    const path = await config('fanout', []);
    const leader = await instance(path);
    await leader.waitFor('fencing token 1)');
    const followers = [await instance(path), await instance(path)];
    await Promise.all(followers.map((f) => f.waitFor('following: another instance leads')));
    const { token } = await createToken({
      secret: SECRET,
      sub: 'bench',
      ttlMs: 3_600_000,
      scopes: ['alerts:read'],
    });
    const latencies: number[] = [];
    const sockets: WebSocket[] = [];
    let received = 0;
    let allIn: () => void = () => {};
    const done = new Promise<void>((r) => (allIn = r));
    const total = perInstance * 3 * alerts;
    for (const inst of [leader, ...followers])
      for (let i = 0; i < perInstance; i++) sockets.push(await client(inst.port, token));
    for (const ws of sockets)
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string; time?: string };
        if (m.type !== 'whale.detected' || !m.time) return;
        latencies.push(Date.now() - Date.parse(m.time));
        if (++received === total) allIn();
      });
    const connection = new Redis(redis.url);
    const stream = createEventStream({
      redis: connection,
      deployment: 'fanout',
      log: pino({ level: 'silent' }),
    });
    for (let i = 0; i < alerts; i++) {
      await stream.append(1, createEnvelope('whale.detected', whale(i), 'bench'));
      await new Promise((r) => setTimeout(r, 250));
    }
    await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
    await connection.quit();
    for (const ws of sockets) ws.terminate();
    latencies.sort((x, y) => x - y);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
    return {
      leaseMs,
      killMs,
      termMs,
      fanout: {
        instances: 3,
        clients: perInstance * 3,
        alerts,
        p50Ms: pct(0.5),
        p99Ms: pct(0.99),
        received,
        expected: total,
      },
    };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function client(port: number, token: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'auth', token }));
  await once(ws, 'message');
  return ws;
}

/** A redis-server for the benchmark on a free loopback port, without persistence. */
export async function startBenchRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
