import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deliveriesCommand } from '../../src/cli/deliveries.js';
import { testCommand } from '../../src/cli/test-send.js';
import { TEST_TXID } from '../../src/cli/test-sample.js';
import { pidFile, writePidFile } from '../../src/control/pid.js';
import { readStoreFiles } from '../../src/store/file-format.js';
import { COLLECTIONS } from '../../src/store/records.js';
import type { DeliveryAttempt, OutboxRecord } from '../../src/delivery/outbox/record.js';
import type { ChatMessageRecord } from '../../src/delivery/chat/record.js';
import { captureCli } from '../helpers/cli.js';
import { startFakeDiscord } from '../helpers/fake-discord.js';
import { startFakeTelegram } from '../helpers/fake-telegram.js';
import { newSecret, startReceiver } from '../helpers/receiver.js';
import { startSmtp } from '../helpers/smtp.js';

// `spout test OUTPUT`: one marked sample through one configured output, on its own delivery
// path, against real loopback servers; the outcome printed, the test delivery recorded as one,
// and no statistics touched.

const LABEL = 'TEST — sample alert from spout test';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length) await cleanups.pop()?.();
});
const later = <T>(value: T, close: (t: T) => unknown): T => (cleanups.push(() => close(value)), value);

/** A folder with config.yaml (the given outputs) and the store path beside it. */
async function workspace(outputs: string[], head: string[] = []) {
  const dir = later(await mkdtemp(join(tmpdir(), 'spout-test-send-')), (d) =>
    rm(d, { recursive: true, force: true }),
  );
  const store = join(dir, 'spout.json');
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      'log: { level: info, format: json }',
      `storage: { path: ${JSON.stringify(store)} }`,
      ...head,
      'outputs:',
      ...outputs.map((o) => `  ${o}`),
    ].join('\n') + '\n',
  );
  const { cli, output, clear } = captureCli(dir);
  return {
    dir,
    store,
    config,
    output,
    clear,
    test: (args: string[], flags: { event?: string; json?: boolean } = {}) =>
      testCommand(args, { config, ...flags }, cli),
    deliveries: (args: string[]) => deliveriesCommand(args, { config }, cli),
    async collections() {
      return (await readStoreFiles(store)).data.collections;
    },
  };
}

/** No statistics: the store holds no prediction, outcome or signal for the API. */
async function expectNoStatistics(w: Awaited<ReturnType<typeof workspace>>) {
  const collections = await w.collections();
  for (const name of [COLLECTIONS.predictions, COLLECTIONS.outcomes, COLLECTIONS.apiSignals])
    expect(Object.keys(collections[name] ?? {}), name).toEqual([]);
}

describe('spout test: webhook', () => {
  it('sends a marked, signed sample that standardwebhooks verifies with either secret; prints the status, latency and webhook-id; records a test delivery', async () => {
    const secrets = [newSecret(), newSecret()];
    const receiver = later(await startReceiver(secrets), (r) => r.close());
    const w = await workspace([
      `hook: { use: webhook, url: "${receiver.url}", secret: ${JSON.stringify(secrets)}, filter: { minBtc: 100000 } }`,
    ]);

    expect(await w.test(['hook'])).toBe(0);

    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0]!;
    expect(request.verified).toBe(true);
    const body = JSON.parse(request.body) as Record<string, any>;
    expect(body).toMatchObject({ type: 'whale.detected', test: true, source: 'spout test' });
    expect(body.data.txid).toBe(TEST_TXID);
    expect(body.data.txid).toMatch(/^0+test$/);
    expect(body.data.flow).toEqual({ type: 'internal', from: LABEL, to: LABEL });
    expect(request.headers['webhook-id']).toBe(body.id);
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);

    const out = w.output();
    expect(out).toContain('outputs.hook (webhook) ← whale.detected');
    expect(out).toMatch(/delivered in \d+ ms: HTTP 200/);
    expect(out).toContain(`webhook-id: ${body.id}`);
    expect(out).toContain('2 secrets of outputs.hook.secret');
    expect(out).toContain('Standard Webhooks');
    expect(out).toContain(`recorded as a test delivery in ${w.store}`);
    for (const secret of secrets) expect(out).not.toContain(secret);

    const collections = await w.collections();
    const record = collections[COLLECTIONS.outbox]?.[`hook/${body.id}`] as OutboxRecord;
    expect(record).toMatchObject({ status: 'delivered', attempts: 1, test: true, lastStatus: 200 });
    const attempts = Object.values(collections[COLLECTIONS.deliveries] ?? {}) as DeliveryAttempt[];
    expect(attempts).toMatchObject([{ outboxId: `hook/${body.id}`, outcome: 'delivered', statusCode: 200 }]);
    await expectNoStatistics(w);

    w.clear();
    expect(await w.deliveries(['list'])).toBe(0);
    expect(w.output()).toMatch(new RegExp(`hook/${body.id}\\s+delivered .*whale\\.detected \\[test\\]`));
  });

  it('a failing endpoint (500) is one attempt: exit 1 with the status, the reason and what to fix; recorded dead, never pending', async () => {
    const secret = newSecret();
    const receiver = later(await startReceiver(secret, [{ status: 500 }]), (r) => r.close());
    const w = await workspace([`hook: { use: webhook, url: "${receiver.url}", secret: "${secret}" }`]);

    expect(await w.test(['hook'], { event: 'whale.confirmed' })).toBe(1);

    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ type: 'whale.confirmed', test: true });
    const out = w.output();
    expect(out).toMatch(/FAILED after \d+ ms: HTTP 500/);
    expect(out).toContain('fix: the receiver failed (HTTP 500): look at its logs');
    const records = Object.values((await w.collections())[COLLECTIONS.outbox] ?? {}) as OutboxRecord[];
    expect(records).toMatchObject([{ status: 'dead', test: true, lastStatus: 500, nextAttemptAt: null }]);
    await expectNoStatistics(w);
  });

  it('an endpoint where nothing listens: exit 1 naming the connection error and the url to check', async () => {
    const secret = newSecret();
    const receiver = await startReceiver(secret);
    const url = receiver.url;
    await receiver.close();
    const w = await workspace([`hook: { use: webhook, url: "${url}", secret: "${secret}" }`]);
    expect(await w.test(['hook'], { json: true })).toBe(1);
    const result = JSON.parse(w.output()) as Record<string, unknown>;
    expect(result).toMatchObject({ output: 'hook', delivered: false, test: true });
    expect(String(result.error)).toMatch(/ECONNREFUSED/);
    expect(String(result.fix)).toContain('outputs.hook.url');
  });

  it('while a spout run owns the store, the test is still made but nothing is written to its store', async () => {
    const secret = newSecret();
    const receiver = later(await startReceiver(secret), (r) => r.close());
    const w = await workspace([`hook: { use: webhook, url: "${receiver.url}", secret: "${secret}" }`]);
    await writePidFile(pidFile(w.store)); // this process stands for the running spout
    expect(await w.test(['hook'])).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    expect(w.output()).toContain(`not recorded: a running spout run (pid ${process.pid}) owns ${w.store}`);
    expect(await w.collections()).toEqual({});
  });
});

describe('spout test: chat outputs', () => {
  it('telegram: posts the sample through the Bot API with the test label first', async () => {
    const tg = later(await startFakeTelegram(), (t) => t.close());
    const w = await workspace([
      `tg: { use: telegram, token: "${tg.token}", chat: "-1009876543210", apiRoot: "${tg.url}", pacing: { perChat: 10ms } }`,
    ]);

    expect(await w.test(['tg'])).toBe(0);

    const [send] = tg.of('sendMessage');
    expect(tg.of('sendMessage')).toHaveLength(1);
    const text = String(send!.body.text);
    expect(text.split('\n')[0]).toBe(`🧪 <b>${LABEL}</b>`);
    expect(text).toContain('1,000 BTC');
    expect(text).toContain('00000000…test');
    expect(w.output()).toMatch(/delivered in \d+ ms: posted to chat -1009876543210 as message \d+/);
    const messages = (await w.collections())[COLLECTIONS.messages] ?? {};
    expect(messages[`tg/${TEST_TXID}`]).toMatchObject({
      test: true,
      targets: { '-1009876543210': { status: 'posted' } },
    });
    await expectNoStatistics(w);
  });

  it('telegram, whale.confirmed: one message showing the sample whale confirmed', async () => {
    const tg = later(await startFakeTelegram(), (t) => t.close());
    const w = await workspace([
      `tg: { use: telegram, token: "${tg.token}", chat: "-1009876543210", apiRoot: "${tg.url}", pacing: { perChat: 10ms } }`,
    ]);
    expect(await w.test(['tg'], { event: 'whale.confirmed' })).toBe(0);
    const shown = [...tg.messages.values()];
    expect(shown).toHaveLength(1);
    expect(shown[0]).toContain(LABEL);
    expect(shown[0]).toContain('confirmed');
  });

  it('telegram with a rejected token: exit 1 saying so and which option to fix; nothing left to post later', async () => {
    const tg = later(await startFakeTelegram(), (t) => t.close());
    const w = await workspace([
      `tg: { use: telegram, token: "999:WrongTokenForTestsOnly_abcdefghij", chat: "-1009876543210", apiRoot: "${tg.url}" }`,
    ]);
    expect(await w.test(['tg'])).toBe(1);
    expect(tg.of('sendMessage')).toHaveLength(0);
    expect(w.output()).toMatch(
      /FAILED after \d+ ms: Telegram: Telegram rejected the bot token \(401 Unauthorized\)/,
    );
    expect(w.output()).toContain('fix: Telegram rejected the bot token: check outputs.tg.token');
    const record = (await w.collections())[COLLECTIONS.messages]?.[`tg/${TEST_TXID}`] as ChatMessageRecord;
    expect(Object.values(record.targets).map((t) => t.status)).toEqual(['dead']);
  });

  it('discord: posts the sample embed through the webhook with the test label', async () => {
    const d = later(await startFakeDiscord(), (f) => f.close());
    const w = await workspace([`desk: { use: discord, webhookUrl: "${d.webhookUrl}", apiBase: "${d.api}" }`]);

    expect(await w.test(['desk'])).toBe(0);

    const posts = d.calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(1);
    const embed = (posts[0]!.body as { embeds: Array<Record<string, any>> }).embeds[0]!;
    expect(String(embed.description).split('\n')[0]).toContain('TEST — sample alert from spout test');
    expect(d.violations).toEqual([]);
    expect(w.output()).toMatch(/delivered in \d+ ms: posted to the webhook as message \S+/);
    await expectNoStatistics(w);
  });
});

describe('spout test: email and console', () => {
  it('email: mails the sample accuracy alert (its default events) to a real SMTP server, subject and header marked', async () => {
    const server = later(await startSmtp(), (s) => s.close());
    const w = await workspace([
      'ops:',
      '    use: email',
      `    smtp: "${server.url()}"`,
      '    from: "Spout alerts <alerts@example.com>"',
      '    to: [ops@example.com]',
      '    digest: 1d',
    ]);

    expect(await w.test(['ops'])).toBe(0);

    expect(server.mails).toHaveLength(1);
    const mail = server.mails[0]!.mail;
    expect(mail.subject).toMatch(/^\[Spout\] TEST — accuracy warning/);
    expect(mail.headers.get('x-spout-test')).toBe('true');
    expect(mail.text).toContain(LABEL);
    expect(w.output()).toMatch(
      /outputs\.ops \(email\) ← accuracy\.degraded .*\n.*delivered in \d+ ms: accepted by the SMTP server \(Message-ID <evt_[0-9a-f]{32}@example\.com>\)/,
    );
    const records = Object.values((await w.collections())[COLLECTIONS.outbox] ?? {}) as OutboxRecord[];
    expect(records).toMatchObject([{ channel: 'email', status: 'delivered', test: true }]);
    await expectNoStatistics(w);
  });

  it('email with digest: a test whale is mailed at once, not kept for the digest', async () => {
    const server = later(await startSmtp(), (s) => s.close());
    const w = await workspace([
      'ops:',
      '    use: email',
      `    smtp: "${server.url()}"`,
      '    from: "Spout alerts <alerts@example.com>"',
      '    to: [ops@example.com]',
      '    digest: 1d',
      '    events: ["whale.*"]',
    ]);
    expect(await w.test(['ops'], { event: 'whale.detected' })).toBe(0);
    expect(server.mails).toHaveLength(1);
    expect(server.mails[0]!.mail.subject).toMatch(/^\[Spout\] TEST — whale: 1,000 BTC/);
    expect((await w.collections())[COLLECTIONS.emailDigest]).toBeUndefined();
  });

  it('console: prints the sample line, marked, on stdout', async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const w = await workspace(['screen: { use: console }']);
    expect(await w.test(['screen'])).toBe(0);
    vi.restoreAllMocks();
    const lines = written.join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d \[TEST — sample alert from spout test\] WHALE 1,000\.00 BTC {2}.* → .* \(internal\) {2}00000000…test/,
    );
    expect(w.output()).toMatch(/delivered in \d+ ms: written by outputs\.screen/);
    await expectNoStatistics(w);
  });
});

describe('spout test: usage', () => {
  it('an unknown output exits 2 listing the configured outputs, with a "did you mean"', async () => {
    const w = await workspace(['screen: { use: console }', 'alerts: { use: console, enabled: false }']);
    expect(await w.test(['screem'])).toBe(2);
    const out = w.output();
    expect(out).toContain('no output "screem"');
    expect(out).toContain('configured outputs: screen (console), alerts (console, disabled)');
    expect(out).toContain('did you mean "screen"?');
    expect(out).toContain('SPOUT_CLI_USAGE');
    w.clear();
    expect(await w.test([])).toBe(2);
    expect(w.output()).toContain('which output? configured outputs: screen (console)');
    w.clear();
    expect(await w.test(['alerts'])).toBe(2);
    expect(w.output()).toContain('outputs.alerts is disabled');
  });

  it('an unknown --event, or one the output does not take, exits 2 and sends nothing', async () => {
    const secret = newSecret();
    const receiver = later(await startReceiver(secret), (r) => r.close());
    const w = await workspace([
      `hook: { use: webhook, url: "${receiver.url}", secret: "${secret}", events: [whale.detected] }`,
    ]);
    expect(await w.test(['hook'], { event: 'whale.detcted' })).toBe(2);
    expect(w.output()).toContain('--event must be one of whale.detected, whale.confirmed, accuracy.degraded');
    w.clear();
    expect(await w.test(['hook'], { event: 'accuracy.degraded' })).toBe(2);
    expect(w.output()).toContain('outputs.hook does not take accuracy.degraded (its events: whale.detected)');
    expect(receiver.requests).toHaveLength(0);
  });

  it('a websocket output exits 2 explaining that its clients are connected to the running spout', async () => {
    const w = await workspace(
      ['live: { use: websocket }'],
      ['http: { listen: "127.0.0.1:0" }', 'auth: { secret: "test-send-secret-0123456789-abcdefghijklmnop" }'],
    );
    expect(await w.test(['live'])).toBe(2);
    expect(w.output()).toContain('outputs.live is a websocket output');
    expect(w.output()).toContain('connected to the running spout');
  });
});
