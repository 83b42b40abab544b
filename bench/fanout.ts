import { BUILTIN_PLUGINS } from '../plugins/index.js';
import { whale } from './whale.js';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket, { WebSocketServer } from 'ws';
import { createEnvelope } from '../src/bus/envelope.js';
import { createToken } from '../src/auth/tokens.js';
import { parseConfig } from '../src/config/load.js';
import { createKernel } from '../src/kernel/kernel.js';
import { createLogger } from '../src/log/logger.js';
import { createMemoryStore } from '../src/store/memory.js';

/** One row: fan-out of one alert to `clients` connected clients on loopback. */
export interface FanoutRow {
  clients: number;
  alerts: number;
  /** Time from publishing an alert until every client has it: median and 99th percentile, ms. */
  p50Ms: number;
  p99Ms: number;
  /** The same for a bare `ws` server sending the same bytes to the same clients (baseline). */
  baselineP50Ms: number;
  baselineP99Ms: number;
  /** Server-side memory (heap + buffers, after GC) per connected, authenticated client, bytes. */
  bytesPerClient: number;
  /** The same for the bare `ws` server's connections (baseline). */
  baselineBytesPerClient: number;
  /** Server process RSS growth per client, bytes. */
  rssPerClient: number;
}

const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const now = () => performance.timeOrigin + performance.now();

// ---- the client side: a child process holding the connections ---------------------------------

type ToClients = { type: 'connect'; url: string; n: number; token: string | null } | { type: 'close' };
type FromClients = { type: 'ready' } | { type: 'all'; at: number } | { type: 'closed' };

async function clientsMain(): Promise<void> {
  let sockets: WebSocket[] = [];
  let received = 0;
  let expected = 0;
  const send = (m: FromClients) => process.send?.(m);
  const onMessage = () => {
    if (++received === expected) {
      received = 0;
      send({ type: 'all', at: now() });
    }
  };
  process.on('message', async (m: ToClients) => {
    if (m.type === 'close') {
      await Promise.all(sockets.map((s) => (s.terminate(), once(s, 'close'))));
      sockets = [];
      send({ type: 'closed' });
      return;
    }
    expected = m.n;
    received = 0;
    const open = (): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(m.url, { perMessageDeflate: false });
        ws.once('error', reject);
        ws.once('open', () => {
          if (!m.token) return (ws.on('message', onMessage), resolve(ws));
          ws.send(JSON.stringify({ type: 'auth', token: m.token }));
          ws.once('message', () => (ws.on('message', onMessage), resolve(ws))); // auth.ok
        });
      });
    for (let i = 0; i < m.n; i += 250)
      sockets.push(...(await Promise.all(Array.from({ length: Math.min(250, m.n - i) }, open))));
    send({ type: 'ready' });
  });
}

if (process.argv[2] === '--fanout-clients') await clientsMain();

// ---- the server side: this process ------------------------------------------------------------

function child(): { proc: ChildProcess; next: (type: FromClients['type']) => Promise<FromClients> } {
  const proc = fork(fileURLToPath(import.meta.url), ['--fanout-clients'], { stdio: 'inherit', execArgv: [] });
  const queue: FromClients[] = [];
  let wake: (() => void) | null = null;
  proc.on('message', (m: FromClients) => (queue.push(m), wake?.()));
  return {
    proc,
    async next(type) {
      for (;;) {
        const i = queue.findIndex((m) => m.type === type);
        if (i >= 0) return queue.splice(i, 1)[0] as FromClients;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};

let gc: (() => void) | null = null;
const memory = () => {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  const m = process.memoryUsage();
  return { used: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss };
};

/** Connect `n` clients, measure memory, time `alerts` fan-outs made by `publish`, disconnect. */
async function measure(
  clients: ReturnType<typeof child>,
  url: string,
  n: number,
  token: string | null,
  alerts: number,
  publish: (i: number) => void,
): Promise<{ p50: number; p99: number; bytes: number; rss: number }> {
  const before = memory();
  clients.proc.send({ type: 'connect', url, n, token } satisfies ToClients);
  await clients.next('ready');
  const after = memory();
  const times: number[] = [];
  for (let i = 0; i < alerts; i++) {
    const t0 = now();
    publish(i);
    const { at } = (await clients.next('all')) as { at: number };
    times.push(at - t0);
  }
  clients.proc.send({ type: 'close' } satisfies ToClients);
  await clients.next('closed');
  return {
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    bytes: (after.used - before.used) / n,
    rss: (after.rss - before.rss) / n,
  };
}

/**
 * `npm run bench`: one alert fanned out to 1,000 and 10,000 authenticated WebSocket clients on
 * loopback (clients in a child process), against a bare `ws` server sending the same bytes to
 * the same number of clients, in the same run.
 */
export async function benchFanout(sizes = [1_000, 10_000]): Promise<FanoutRow[]> {
  const clients = child();
  const rows: FanoutRow[] = [];
  try {
    // Spout: the websocket output on the kernel's HTTP server.
    const config = await parseConfig(
      [
        'http: { listen: "127.0.0.1:0" }',
        'log: { level: silent, format: json }',
        `auth: { secret: "${SECRET}" }`,
        'inputs:',
        '  idle: { use: replay }',
        'outputs:',
        '  live: { use: websocket, maxClients: 20000, maxPending: 1000, maxPendingPerIp: 1000, maxAuthFailures: 1000 }',
      ].join('\n'),
      'bench.yaml',
      process.cwd(),
      {},
      BUILTIN_PLUGINS,
    );
    const kernel = createKernel({
      config,
      log: createLogger({ level: 'silent', format: 'json' }).log,
      store: createMemoryStore(),
    });
    const address = await kernel.start();
    const { token } = await createToken({
      secret: SECRET,
      sub: 'bench',
      ttlMs: 3_600_000,
      scopes: ['alerts:read'],
    });

    // Baseline: a bare ws server, the same bytes sent to every client in a loop.
    const http = createServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const baseUrl = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;

    for (const n of sizes) {
      const alerts = n >= 10_000 ? 30 : 100;
      const base = await measure(clients, baseUrl, n, null, alerts, (i) => {
        const data = Buffer.from(JSON.stringify(createEnvelope('whale.detected', whale(i), 'bench')));
        for (const ws of wss.clients) ws.send(data, { binary: false });
      });
      const spout = await measure(clients, `ws://127.0.0.1:${address?.port}/ws`, n, token, alerts, (i) =>
        kernel.bus.publish('whale.detected', whale(n + i), 'bench'),
      );
      rows.push({
        clients: n,
        alerts,
        p50Ms: spout.p50,
        p99Ms: spout.p99,
        baselineP50Ms: base.p50,
        baselineP99Ms: base.p99,
        bytesPerClient: spout.bytes,
        baselineBytesPerClient: base.bytes,
        rssPerClient: spout.rss,
      });
    }
    wss.close();
    http.close();
    await kernel.stop();
  } finally {
    clients.proc.kill();
  }
  return rows;
}
