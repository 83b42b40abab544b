import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, test } from 'vitest';
import { createLocalChatSchedule, type ChatSchedule } from '../../src/delivery/chat/schedule.js';
import { createDeliveryQueues, type DeliveryQueues } from '../../src/engine/delivery-queue.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { createEnvelope } from '../../src/bus/envelope.js';
import type { WhaleSignal } from '../../src/bus/events.js';
import { parseConfig } from '../helpers/builtins.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { COLLECTIONS } from '../../src/store/records.js';
import type { ChatFailure } from '../../src/delivery/chat/failure.js';
import { createChatObserver } from '../../src/delivery/chat/observe.js';
import type { ChatMessageRecord } from '../../src/delivery/chat/record.js';
import { fillTemplate, parseTemplate } from '../../src/delivery/chat/template.js';
import { whaleView } from '../../src/delivery/chat/view.js';
import { createChatWorker } from '../../src/delivery/chat/worker.js';
import { createTelegramFormatter, escapeHtml, TELEGRAM_MAX } from '../../plugins/outputs/telegram/format.js';
import { waitFor } from '../helpers/fake-mempool.js';
import { whaleSignal } from '../helpers/whales.js';

const signal = (extra: Partial<WhaleSignal> = {}): WhaleSignal => whaleSignal('c'.repeat(64), extra);

describe('chat templates', () => {
  it('fills named placeholders, escapes every value, drops lines whose placeholders are all empty', () => {
    const t = parseTemplate('<b>{amount}</b> {{literal}}\nUSD: {usd}\nFlow: {flow}\n<a href="{link}">tx</a>');
    const view = whaleView(signal({ flow: { type: 'inflow', from: null, to: 'A <b>& "B"' } }));
    expect(fillTemplate(t, view, escapeHtml)).toBe(
      [
        '<b>500 BTC</b> {literal}',
        'Flow: unknown wallet → A &lt;b&gt;&amp; &quot;B&quot; (inflow)',
        `<a href="https://mempool.space/tx/${'c'.repeat(64)}">tx</a>`,
      ].join('\n'),
    );
  });

  it('an unknown placeholder names it and the known ones; an unclosed brace is refused', () => {
    expect(() => parseTemplate('{amount} {bogus} {amont}')).toThrow(
      /unknown placeholders \{bogus\}, \{amont\}; known: \{amount\}/,
    );
    expect(() => parseTemplate('{amount')).toThrow(/unclosed or empty "\{"/);
  });

  it('an unknown placeholder in a telegram or discord template is a config error at its line', async () => {
    const yaml = [
      'outputs:',
      '  tg: { use: telegram, token: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", chat: "@whales",',
      '        template: "{amount} {whaleSize}" }',
      '  dc:',
      '    use: discord',
      `    webhookUrl: "https://discord.com/api/webhooks/123456789012345678/${'x'.repeat(68)}"`,
      '    template: "{outcome} {txId}"',
    ].join('\n');
    const message = await parseConfig(yaml, 'spout.yaml', process.cwd(), {}).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(message).toMatch(/2 problems/);
    expect(message).toMatch(
      /spout\.yaml:3:\d+\s+outputs\.tg\.template\s+uses unknown placeholder \{whaleSize\}/,
    );
    expect(message).toMatch(/spout\.yaml:7:\d+\s+outputs\.dc\.template\s+uses unknown placeholder \{txId\}/);
  });

  it('a telegram template that Telegram HTML would refuse is a config error at start', async () => {
    const check = (template: string) =>
      parseConfig(
        `outputs:\n  tg: { use: telegram, token: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", chat: "@whales", template: ${JSON.stringify(template)} }\n`,
        'spout.yaml',
        process.cwd(),
        {},
      ).then(
        () => null,
        (e: Error) => e.message,
      );
    expect(await check('<b>{amount}')).toMatch(/outputs\.tg\.template\s+leaves <b> unclosed/);
    expect(await check('fee > 10: {feeRate}')).toMatch(/bare ">": write &gt;/);
    expect(await check('<div>{amount}</div>')).toMatch(/uses <div>, which Telegram HTML does not support/);
    expect(await check('<b>{amount}</i>')).toMatch(/<\/i> without a matching <i>/);
    expect(await check('<b>{amount}</b> &amp; <a href="{link}">{shortTxid}</a> {from}')).toBeNull();
  });

  it('a telegram message stays within 4096 characters whatever the labels', () => {
    const format = createTelegramFormatter(null);
    const huge = '<&>'.repeat(5000);
    const record: ChatMessageRecord = {
      id: 'tg/x',
      instance: 'tg',
      kind: 'whale',
      key: 'x',
      signal: signal({ flow: { type: 'internal', from: huge, to: huge } }),
      version: 1,
      targets: {},
      createdAt: '',
      updatedAt: '',
    };
    const text = format(record);
    expect(text.length).toBeLessThanOrEqual(TELEGRAM_MAX);
    expect(text).toContain('🐋 <b>500 BTC</b> whale · pending');
    expect(text).not.toMatch(/<&>/);
  });
});

/** A transport answering from a script: each call takes the next outcome (default: success). */
function scripted(outcomes: Array<ChatFailure | 'ok'>) {
  const calls: Array<{ action: 'post' | 'edit'; chat: string; content: string; messageId?: string }> = [];
  let next = 1;
  return {
    calls,
    transport: {
      async post(chat: string, content: string) {
        calls.push({ action: 'post' as const, chat, content });
        const o = outcomes.shift() ?? 'ok';
        if (o !== 'ok') throw o;
        return String(next++);
      },
      async edit(chat: string, messageId: string, content: string) {
        calls.push({ action: 'edit' as const, chat, content, messageId });
        const o = outcomes.shift() ?? 'ok';
        if (o !== 'ok') throw o;
      },
      classify: (e: unknown) => e as ChatFailure,
    },
  };
}

/** Where a worker's posts and edits wait: in process, or (issue 18) one BullMQ queue per chat. */
type Schedules = (deployment: string) => ChatSchedule;
const quiet = pino({ level: 'silent' });
const scheduleOptions = {
  chats: ['@a'],
  pacing: { perChatMs: 0, globalMs: 0 },
  limit: { max: 1, durationMs: 0 },
  log: quiet,
};
const inProcess: Schedules = () => createLocalChatSchedule(scheduleOptions);
let schedules: Schedules = inProcess;
const running: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (running.length) await running.pop()?.();
});
let deployments = 0;

function worker(
  outcomes: Array<ChatFailure | 'ok'>,
  store = createMemoryStore(),
  scheduleMs = [10, 10],
  deployment = `d${++deployments}`,
) {
  const t = scripted(outcomes);
  const w = createChatWorker({
    instance: 'tg',
    chats: ['@a'],
    store,
    log: pino({ level: 'silent' }),
    transport: t.transport,
    render: (r) => `${r.signal?.txid ?? r.key} v${r.version} ${r.outcome?.status ?? 'pending'}`,
    scheduleMs,
    schedule: schedules(deployment),
    observer: createChatObserver({
      instance: 'tg',
      channel: 'telegram',
      metrics: new Registry(),
      health: { set: () => undefined },
      log: pino({ level: 'silent' }),
    }),
  });
  running.push(() => w.stop());
  return {
    w,
    calls: t.calls,
    store,
    target: () =>
      store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`tg/${'c'.repeat(64)}`)?.targets['@a'],
  };
}

const detected = () => createEnvelope('whale.detected', signal(), 'whales');
const confirmed = () =>
  createEnvelope(
    'whale.confirmed',
    { txid: 'c'.repeat(64), height: 1, blocksWaited: 1, minutesWaited: 1, predictedBlocks: 1 },
    'correlation',
  );

describe.each([
  ['in process', false],
  ['on Redis, one BullMQ queue per chat', true],
])('chat sync worker (%s)', (_, onRedis) => {
  if (onRedis) {
    let redis: Awaited<ReturnType<typeof startRedis>> | null = null;
    const connections: Array<{ close(): Promise<void> }> = [];
    beforeAll(async () => {
      if (!hasRedis) return;
      const server = await startRedis();
      redis = server;
      const byDeployment = new Map<string, DeliveryQueues>();
      schedules = (deployment) => {
        let queues = byDeployment.get(deployment);
        if (!queues) {
          queues = createDeliveryQueues({ url: server.url, deployment, lockMs: 5000, log: quiet });
          byDeployment.set(deployment, queues);
          connections.push(queues);
        }
        return queues.chat('tg', scheduleOptions);
      };
    }, 20_000);
    afterAll(async () => {
      schedules = inProcess;
      for (const c of connections) await c.close();
      await redis?.stop();
    });
  }
  const it = onRedis && !hasRedis ? test.skip : test;

  it('a connection refused is retried; a post cut off mid-request is never repeated (unknown), not posted twice', async () => {
    const a = worker([{ kind: 'retry', message: 'ECONNREFUSED' }]);
    a.w.start();
    await a.w.record(detected());
    await waitFor(() => a.target()?.status === 'posted', 2000, 'posted after retry');
    expect(a.calls.map((c) => c.action)).toEqual(['post', 'post']);

    const b = worker([{ kind: 'ambiguous', message: 'ECONNRESET' }]);
    b.w.start();
    await b.w.record(detected());
    await waitFor(() => b.target()?.status === 'unknown', 2000, 'unknown');
    await b.w.record(detected());
    await b.w.record(confirmed());
    await b.w.stop();
    expect(b.calls.map((c) => c.action)).toEqual(['post']);
  });

  it('a process that died mid-post (record left "sending") does not post it again after a restart', async () => {
    const store = createMemoryStore();
    const first = worker([], store, [10, 10], 'died');
    await first.w.record(detected()); // recorded; never started, so not sent
    const messages = store.collection<ChatMessageRecord>(COLLECTIONS.messages);
    const id = `tg/${'c'.repeat(64)}`;
    const r = messages.get(id)!;
    messages.put(id, { ...r, targets: { '@a': { ...r.targets['@a']!, status: 'sending' } } });

    const second = worker([], store, [10, 10], 'died');
    second.w.start();
    await second.w.record(confirmed());
    await second.w.stop();
    expect(second.calls).toEqual([]);
    expect(second.target()?.status).toBe('unknown');
  });

  it('an outcome that arrives before the post went out is in the first post; a failed edit is retried; "not modified" is success', async () => {
    const a = worker([{ kind: 'retry', message: '503' }]);
    a.w.start();
    await a.w.record(detected());
    await a.w.record(confirmed());
    await waitFor(() => a.target()?.status === 'posted', 2000, 'posted');
    const posts = a.calls.map((c) => `${c.action} ${c.content}`);
    // In process the first post starts within `record`; a queued job may start after the outcome.
    if (!onRedis || posts[0]?.includes('v1')) expect(posts[0]).toBe(`post ${'c'.repeat(64)} v1 pending`);
    expect(posts.slice(1)).toEqual([`post ${'c'.repeat(64)} v2 confirmed`]);

    const b = worker(['ok', { kind: 'retry', message: '502' }, { kind: 'not-modified', message: 'same' }]);
    b.w.start();
    await b.w.record(detected());
    await waitFor(() => b.target()?.status === 'posted', 2000, 'posted');
    await b.w.record(confirmed());
    await waitFor(() => b.target()?.syncedVersion === 2, 2000, 'edited');
    expect(b.calls.map((c) => c.action)).toEqual(['post', 'edit', 'edit']);
    expect(b.target()).toMatchObject({ status: 'posted', messageId: '1', attempts: 0 });
  });

  it('a 5xx answer to a post may come after the message was made: unknown, not posted again; a 503 is retried', async () => {
    const a = worker([{ kind: 'retry', status: 502, message: '502 Bad Gateway' }]);
    a.w.start();
    await a.w.record(detected());
    await waitFor(() => a.target()?.status === 'unknown', 2000, 'unknown');
    await a.w.stop();
    expect(a.calls).toHaveLength(1);

    const b = worker([{ kind: 'retry', status: 503, message: '503' }]);
    b.w.start();
    await b.w.record(detected());
    await waitFor(() => b.target()?.status === 'posted', 2000, 'posted');
    expect(b.calls).toHaveLength(2);
  });

  it('a whale seen again keeps its first signal, completed only with what it lacked', async () => {
    const { w, calls, target } = worker([]);
    w.start();
    await w.record(detected());
    await waitFor(() => target()?.status === 'posted', 2000, 'posted');
    // Seen again later with other times and a price: the price was missing, so one edit.
    await w.record(
      createEnvelope(
        'whale.detected',
        signal({ valueUsd: 50_000_000, detectedAt: '2026-11-21T08:00:00.000Z' }),
        'whales',
      ),
    );
    await waitFor(() => target()?.syncedVersion === 2, 2000, 'edited');
    // Again, with another price: nothing changes, nothing is sent.
    await w.record(createEnvelope('whale.detected', signal({ valueUsd: 51_000_000 }), 'whales'));
    await w.stop();
    expect(calls.map((c) => c.action)).toEqual(['post', 'edit']);
  });

  it('gives a post up after the schedule, and a refused post at once', async () => {
    const retry = { kind: 'retry', message: '500' } as const;
    const a = worker([retry, retry, retry]);
    a.w.start();
    await a.w.record(detected());
    await waitFor(() => a.target()?.status === 'dead', 2000, 'dead');
    expect(a.calls).toHaveLength(3);
    expect(a.target()).toMatchObject({ attempts: 3, lastError: '500' });

    const b = worker([{ kind: 'refused', message: '400 chat not found' }]);
    b.w.start();
    await b.w.record(detected());
    await waitFor(() => b.target()?.status === 'dead', 2000, 'dead');
    expect(b.calls).toHaveLength(1);
  });
});
