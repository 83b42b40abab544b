import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, start, type Running } from './cli.js';
import { startFakeTelegram } from './fake-telegram.js';
import { newSecret, startReceiver, type Received } from './receiver.js';
import type { startRedis } from './redis.js';
import { freePort } from '../../bench/free-port.js';
export { freePort };

// Several `spout run` processes of one deployment (engine: redis) with a replay feed, a fake
// Telegram and verifying webhook receivers: what the engine tests share.

/**
 * Start one `spout run` of a deployment on a free port, once it follows or leads. A port found
 * free can be taken by another test's server before the instance listens on it (the suite runs
 * files in parallel): then it is started again on another.
 */
export async function startInstance(
  args: string[],
  cwd: string,
  env: (port: number) => Record<string, string>,
  cleanups: Array<() => unknown>,
): Promise<Running & { port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const p = start(args, { cwd, env: env(port) });
    cleanups.push(() => p.child.kill('SIGKILL'));
    const up = await p.waitFor(/leading deployment|following: another instance leads/, 15_000).then(
      () => true,
      () => false,
    );
    if (up || attempt === 3 || !p.stderr().includes('EADDRINUSE')) return Object.assign(p, { port });
  }
}

/** The `auth.secret` of the deployment's instances (tokens for the WebSocket feed are signed with it). */
export const AUTH_SECRET = 'Zq8v1Lr4Wp6s9Tx2Ny5Kc7Bd3Fg0Hj8MkQ';

export const txid = (n: number) => (0xb000 + n).toString(16).padStart(64, '0');
export const detected = (n: number) => ({
  type: 'whale.detected',
  data: {
    txid: txid(n),
    valueSats: (200 + n) * 1e8,
    valueBtc: 200 + n,
    valueUsd: null,
    feeSats: 4_200,
    vsize: 210,
    feeRate: 20,
    status: 'pending',
    firstSeen: '2026-11-21T10:00:00.000Z',
    detectedAt: '2026-11-21T10:00:00.012Z',
    url: `https://mempool.space/tx/${txid(n)}`,
  },
});
export const lines = (items: unknown[]) => items.map((i) => JSON.stringify(i) + '\n').join('');

export async function health(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * A fake Telegram and a config shared by the instances on `redis`; `instance(hookUrl)` starts
 * one (its own HTTP port), `receiver()` a verifying webhook receiver. What is started is
 * stopped by the caller's `cleanups`.
 */
export async function deployment(
  redis: Awaited<ReturnType<typeof startRedis>>,
  cleanups: Array<() => unknown>,
  feedItems: unknown[],
  engine: string,
  replay = '',
  outputs: string[] = [],
  hookOptions = '',
  jobs: string[] = [],
) {
  const tg = await startFakeTelegram();
  cleanups.push(() => tg.close());
  const secret = newSecret();
  const dir = await mkdtemp(join(tmpdir(), 'spout-failover-'));
  const feed = join(dir, 'feed.jsonl');
  await writeFile(feed, lines(feedItems));
  await writeFile(
    join(dir, 'config.yaml'),
    [
      'log: { level: debug, format: json }',
      'http: { listen: "127.0.0.1:${PORT}" }',
      'auth: { secret: "${AUTH_SECRET}" }',
      `engine: { use: redis, url: "\${REDIS_URL}", deployment: failover, ${engine} }`,
      'inputs:',
      `  feed: { use: replay, file: ./feed.jsonl${replay} }`,
      'outputs:',
      `  hook: { use: webhook, url: "\${HOOK_URL}", secret: "\${HOOK_SECRET}"${hookOptions} }`,
      `  channel: { use: telegram, token: "\${TG_TOKEN}", chat: "@whales", apiRoot: "${tg.url}", pacing: { perChat: 10ms } }`,
      ...outputs.map((line) => `  ${line}`),
      ...(jobs.length > 0 ? ['jobs:', ...jobs.map((line) => `  ${line}`)] : []),
    ].join('\n') + '\n',
  );
  const env = (port: number, hookUrl: string) => ({
    PORT: String(port),
    REDIS_URL: redis.url,
    HOOK_URL: hookUrl,
    HOOK_SECRET: secret,
    TG_TOKEN: tg.token,
    AUTH_SECRET,
  });
  const instance = (hookUrl: string) =>
    startInstance(['run', '-c', join(dir, 'config.yaml')], dir, (port) => env(port, hookUrl), cleanups);
  const receiver = async () => {
    const rx = await startReceiver(secret);
    cleanups.push(() => rx.close());
    return rx;
  };
  /** Another command (`spout token …`) on the deployment's configuration, run to its end; `hookUrl` is the webhook's. */
  const command = (args: string[], hookUrl = 'http://127.0.0.1:9/') =>
    run([...args, '-c', join(dir, 'config.yaml')], { cwd: dir, env: env(0, hookUrl) });
  return { tg, feed, instance, receiver, command };
}

export const ok = (r: Received) => r.verified && r.status === 200;
export const idOf = (r: Received) => String(r.headers['webhook-id']);

/** Poll (every 20 ms) until `cond` holds, at most `ms`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
