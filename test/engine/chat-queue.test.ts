import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createEnvelope } from '../../src/bus/envelope.js';
import type { ChatFailure } from '../../src/delivery/chat/failure.js';
import { createChatObserver } from '../../src/delivery/chat/observe.js';
import type { ChatMessageRecord } from '../../src/delivery/chat/record.js';
import { createChatWorker } from '../../src/delivery/chat/worker.js';
import { chatQueueName } from '../../src/engine/chat-queue.js';
import { createDeliveryQueues } from '../../src/engine/delivery-queue.js';
import { queuePrefix } from '../../src/engine/queue-keys.js';
import { createError } from '../../src/kernel/errors.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/port.js';
import { COLLECTIONS } from '../../src/store/records.js';
import { until } from '../helpers/deployment.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { whaleSignal } from '../helpers/whales.js';

// Issue 18: chat posts on a deployment's Redis — one BullMQ queue per chat, one job at a time
// deployment-wide, BullMQ's limiter at the platform's limit (held across a change of leader),
// nothing posted twice when a leader dies mid-post, nothing lost while Redis is away.

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const log = pino({ level: 'silent' });
const WEBHOOK = `https://discord.com/api/webhooks/123456789012345678/${'s'.repeat(68)}`;
const txid = (n: number) => n.toString(16).padStart(64, '0');
const detected = (n: number) => createEnvelope('whale.detected', whaleSignal(txid(n)), 'whales');
const confirmed = (n: number) =>
  createEnvelope(
    'whale.confirmed',
    { txid: txid(n), height: 1, blocksWaited: 1, minutesWaited: 1, predictedBlocks: 1 },
    'correlation',
  );

interface Call {
  action: 'post' | 'edit';
  chat: string;
  content: string;
  start: number;
  end: number;
}

/**
 * A leader's chat output on the deployment: a worker over `store` whose posts and edits wait in
 * the deployment's queues. `hang` keeps every call open until the test ends (a process that died
 * mid-call). Calls of every leader go to `calls`; `overlap` counts calls in flight at once.
 */
function leader(
  url: string,
  store: Store,
  calls: Call[],
  options: {
    chats?: string[];
    limit?: { max: number; durationMs: number };
    lockMs?: number;
    hang?: boolean;
    overlap?: { now: number; max: number };
    /** Told each line the worker logs (JSON). */
    lines?: string[];
  } = {},
) {
  const chats = options.chats ?? ['@a'];
  const queues = createDeliveryQueues({ url, deployment: 'd', lockMs: options.lockMs ?? 5000, log });
  let next = 1;
  const call = async (action: Call['action'], chat: string, content: string, signal: AbortSignal) => {
    const entry: Call = { action, chat, content, start: Date.now(), end: 0 };
    calls.push(entry);
    const o = options.overlap;
    if (o) o.max = Math.max(o.max, ++o.now);
    try {
      if (options.hang) await new Promise((_, reject) => signal.addEventListener('abort', reject));
      await new Promise((r) => setTimeout(r, 20)); // a platform that takes a moment
    } finally {
      entry.end = Date.now();
      if (o) o.now--;
    }
  };
  const lines = options.lines;
  const workerLog = lines ? pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }) : log;
  const worker = createChatWorker<string>({
    instance: 'tg',
    chats,
    store,
    log: workerLog,
    transport: {
      post: async (chat, content, signal) => (await call('post', chat, content, signal), String(next++)),
      edit: (chat, _id, content, signal) => call('edit', chat, content, signal),
      classify: (e) => ({ kind: 'ambiguous', message: String(e) }) as ChatFailure,
    },
    render: (r) => `${r.key} v${r.version}`,
    scheduleMs: [50, 50],
    schedule: queues.chat('tg', {
      chats,
      pacing: { perChatMs: 0, globalMs: 0 },
      limit: options.limit ?? { max: 1, durationMs: 1 },
      log,
    }),
    observer: createChatObserver({
      instance: 'tg',
      channel: 'telegram',
      metrics: new Registry(),
      health: { set: () => undefined },
      log,
    }),
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await worker.stop();
    await queues.close();
  };
  cleanups.push(stop);
  return { worker, stop, queues };
}

const target = (store: Store, n: number, chat = '@a') =>
  store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`tg/${txid(n)}`)?.targets[chat];

describe.skipIf(!hasRedis)('engine: redis — chat posts on per-chat BullMQ queues (redis-server)', () => {
  it('posts each whale once and edits it in place; a publish seen twice is one job; the limit spaces calls to a chat, across a change of leader', async () => {
    const server = await startRedis();
    cleanups.push(() => server.stop());
    const store = createMemoryStore();
    const calls: Call[] = [];
    const limit = { max: 1, durationMs: 300 };
    const a = leader(server.url, store, calls, { limit });
    a.worker.start();
    for (const n of [1, 2]) {
      await a.worker.record(detected(n));
      await a.worker.record(detected(n)); // published again: nothing new
    }
    await until(() => target(store, 2)?.status === 'posted', 'both posted', 10_000);
    await a.stop();

    // The next leader (same store, as Redis holds it) edits the messages the first one posted.
    const b = leader(server.url, store, calls, { limit });
    b.worker.start();
    await b.worker.record(confirmed(1));
    await until(() => target(store, 1)?.syncedVersion === 2, 'edited by the next leader', 10_000);
    expect(calls.map((c) => `${c.action} ${c.content}`)).toEqual([
      `post ${txid(1)} v1`,
      `post ${txid(2)} v1`,
      `edit ${txid(1)} v2`,
    ]);
    expect(target(store, 1)).toMatchObject({ status: 'posted', messageId: '1' });
    // BullMQ's limiter: one call per 300 ms to the chat, whichever process makes it, as the
    // platform sees them (the window is widened for the moment a call takes to leave).
    for (let i = 1; i < calls.length; i++)
      expect(calls[i]!.start - calls[i - 1]!.start).toBeGreaterThanOrEqual(limit.durationMs);
  });

  it('one job at a time per chat across the deployment; chats are apart; no chat (a webhook URL) in Redis keys', async () => {
    const server = await startRedis();
    cleanups.push(() => server.stop());
    const store = createMemoryStore();
    const calls: Call[] = [];
    const overlap = { now: 0, max: 0 };
    const chats = ['@a', WEBHOOK];
    // Two workers on one chat's queue (a paused leader that came back, say): never two calls at once.
    const a = leader(server.url, store, calls, { chats, overlap });
    const b = leader(server.url, store, calls, { chats, overlap });
    a.worker.start();
    b.worker.start();
    for (let n = 1; n <= 6; n++) await a.worker.record(detected(n));
    await until(
      () => [1, 2, 3, 4, 5, 6].every((n) => chats.every((c) => target(store, n, c)?.status === 'posted')),
      'every whale on both chats',
      15_000,
    );
    expect(calls.filter((c) => c.chat === '@a')).toHaveLength(6);
    expect(calls.filter((c) => c.chat === WEBHOOK)).toHaveLength(6);
    const oneChat = calls.filter((c) => c.chat === '@a').sort((x, y) => x.start - y.start);
    for (let i = 1; i < oneChat.length; i++)
      expect(oneChat[i]!.start).toBeGreaterThanOrEqual(oneChat[i - 1]!.end);
    const client = new Redis(server.url);
    cleanups.push(() => client.quit());
    const keys = await client.keys('*');
    expect(keys.some((k) => k.includes(chatQueueName('tg', WEBHOOK)))).toBe(true);
    expect(keys.join('\n')).not.toContain('discord.com');
    expect(keys.every((k) => k.startsWith(`${queuePrefix('d')}:`))).toBe(true);
  });

  it('a leader that dies mid-post: the next takes its job up and does not post it again (unknown), and goes on', async () => {
    const server = await startRedis();
    cleanups.push(() => server.stop());
    const store = createMemoryStore();
    const calls: Call[] = [];
    const a = leader(server.url, store, calls, { hang: true, lockMs: 1000 });
    a.worker.start();
    await a.worker.record(detected(1));
    await until(() => calls.length === 1, 'the post under way');
    expect(target(store, 1)?.status).toBe('sending');
    // Dead: its connection gone without a word, the job's lock left to expire.
    a.queues.close();

    const b = leader(server.url, store, calls, { lockMs: 1000 });
    b.worker.start();
    await b.worker.record(detected(2));
    await until(() => target(store, 2)?.status === 'posted', 'the next whale posted');
    expect(target(store, 1)?.status).toBe('unknown');
    const client = new Redis(server.url);
    cleanups.push(() => client.quit());
    // The stalled job was taken up (the queue is empty) without a second post of whale 1.
    await until(
      async () => (await client.keys(`${queuePrefix('d')}:${chatQueueName('tg', '@a')}:*`)).length > 0,
      'the queue',
    );
    await until(
      async () => {
        const [active, wait] = await Promise.all([
          client.llen(`${queuePrefix('d')}:${chatQueueName('tg', '@a')}:active`),
          client.llen(`${queuePrefix('d')}:${chatQueueName('tg', '@a')}:wait`),
        ]);
        return active + wait === 0;
      },
      'the stalled job taken up',
      10_000,
    );
    expect(calls.map((c) => `${c.action} ${c.content}`)).toEqual([
      `post ${txid(1)} v1`,
      `post ${txid(2)} v1`,
    ]);
  });

  it('what is recorded while Redis is away is queued when it is back (AOF restart): nothing lost', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-chatq-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const server = await startRedis({ aof: dir });
    cleanups.push(() => server.stop());
    const store = createMemoryStore();
    const calls: Call[] = [];
    const a = leader(server.url, store, calls);
    a.worker.start();
    await a.worker.record(detected(1));
    await until(() => target(store, 1)?.status === 'posted', 'posted');
    await server.restart(); // stopped, then started: the connection is lost in between
    // (Recorded while the connection is still down or just back: either way it must arrive.)
    await a.worker.record(detected(2));
    await a.worker.record(confirmed(1));
    await until(() => target(store, 2)?.status === 'posted', 'posted after Redis came back', 15_000);
    await until(() => target(store, 1)?.syncedVersion === 2, 'edited after Redis came back', 15_000);
    expect(calls.map((c) => `${c.action} ${c.content}`).sort()).toEqual(
      [`post ${txid(1)} v1`, `post ${txid(2)} v1`, `edit ${txid(1)} v2`].sort(),
    );
  });

  it('a chat output disabled at start (bad token) takes no job: its posts wait in the queue for a reload', async () => {
    const server = await startRedis();
    cleanups.push(() => server.stop());
    const store = createMemoryStore();
    const calls: Call[] = [];
    const a = leader(server.url, store, calls);
    a.worker.disable('Telegram refused the token');
    a.worker.start();
    await a.worker.record(detected(1));
    const client = new Redis(server.url);
    cleanups.push(() => client.quit());
    const waiting = `${queuePrefix('d')}:${chatQueueName('tg', '@a')}:wait`;
    await until(async () => (await client.llen(waiting)) === 1, 'the post queued');
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 50)); // a worker would take it now
    expect(calls).toEqual([]);
    expect(await client.llen(waiting)).toBe(1);
    await a.stop();
    // Reloaded with a good token: the next instance posts it.
    const b = leader(server.url, store, calls);
    b.worker.start();
    await until(() => target(store, 1)?.status === 'posted', 'posted after the reload');
    expect(calls).toHaveLength(1);
  });

  it('a leader that lost its lease leaves the jobs it takes to the one that leads now (none is dropped)', async () => {
    const server = await startRedis();
    cleanups.push(() => server.stop());
    const shared = createMemoryStore(); // the deployment's store, as the new leader has it
    let refused = 0;
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    // The old leader learns it was fenced only once the new one has queued what it found.
    const stale: Store = {
      ...shared,
      fence: async () => {
        refused++;
        await answered;
        throw createError('SPOUT_STORE_FENCED', 'another instance leads it now');
      },
    };
    const calls: Call[] = [];
    const old = leader(server.url, stale, calls);
    old.worker.start();
    const lines: string[] = [];
    const now = leader(server.url, shared, calls, { lines });
    await now.worker.record(detected(1));
    await until(() => refused > 0, 'the old leader took the job');
    now.worker.start(); // queues the post again: the same job, still the old leader's
    await until(() => lines.some((l) => l.includes('resuming 1 chat post')), 'the new leader resumed');
    answer();
    await until(() => target(shared, 1)?.status === 'posted', 'posted by the leader', 10_000);
    expect(calls.map((c) => `${c.action} ${c.content}`)).toEqual([`post ${txid(1)} v1`]);
  });
});
