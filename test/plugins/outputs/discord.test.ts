import { afterEach, describe, expect, it } from 'vitest';
import type { WhaleSignal } from '../../../src/bus/events.js';
import { parseConfig } from '../../helpers/builtins.js';
import { COLLECTIONS } from '../../../src/store/records.js';
import type { ChatMessageRecord } from '../../../src/delivery/chat/record.js';
import { fitEmbed, LIMITS } from '../../../plugins/outputs/discord/format.js';
import { embedLength } from 'discord.js';
import { waitFor } from '../../helpers/fake-mempool.js';
import { startFakeDiscord, type FakeDiscord } from '../../helpers/fake-discord.js';
import { runYaml } from '../../helpers/run-yaml.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const txid = (n: number) => n.toString(16).padStart(64, 'b');
const whale = (id: string, extra: Partial<WhaleSignal> = {}): WhaleSignal => ({
  txid: id,
  valueSats: 1_250_5000_0000,
  valueBtc: 1250.5,
  valueUsd: 78_901_234,
  feeSats: 12_000,
  vsize: 400,
  feeRate: 30,
  urgency: { score: 0.9, level: 'critical', predictedBlocks: 1, basis: 'projected-blocks' },
  rbf: { signaling: true, replaces: [] },
  status: 'pending',
  firstSeen: '2026-11-21T07:00:00.000Z',
  detectedAt: '2026-11-21T07:00:01.000Z',
  url: `https://mempool.space/tx/${id}`,
  ...extra,
});

async function fake(): Promise<FakeDiscord> {
  const d = await startFakeDiscord();
  cleanups.push(() => d.close());
  return d;
}
const webhookYaml = (d: FakeDiscord, extra = '') =>
  `outputs:\n  desk: { use: discord, webhookUrl: "${d.webhookUrl}", apiBase: "${d.api}", username: "Spout"${extra} }\n`;
const HOOK = /^\/webhooks\/\d+\/x+$/;
const HOOK_EDIT = /^\/webhooks\/\d+\/x+\/messages\/\d+$/;

describe('discord output against a fake Discord API', () => {
  it('posts an embed within every limit for a whale with very long labels (wait=true), then edits it on confirmation', async () => {
    const d = await fake();
    const run = await runYaml(webhookYaml(d));
    cleanups.push(run.stop);
    const id = txid(1);
    const long = (c: string) => `${c}`.repeat(3000) + ' *bold* _x_';
    run.kernel.bus.publish(
      'whale.detected',
      whale(id, { flow: { type: 'internal', from: long('A'), to: long('B') } }),
      'test',
    );
    const [post] = await d.waitFor('POST', HOOK);
    expect(post!.query.get('wait')).toBe('true');
    expect(post!.headers.authorization).toBeUndefined();
    expect(d.violations).toEqual([]);
    const body = post!.body as {
      username: string;
      embeds: Array<Record<string, any>>;
      allowed_mentions: unknown;
    };
    expect(body.username).toBe('Spout');
    expect(body.allowed_mentions).toEqual({ parse: [] });
    const [embed] = body.embeds;
    expect(embed!.title).toBe('🐋 1,250.5 BTC whale · pending');
    expect(embed!.url).toBe(`https://mempool.space/tx/${id}`);
    expect(embed!.color).toBe(0xe74c3c); // critical
    expect(embed!.timestamp).toBe('2026-11-21T07:00:01.000Z');
    const fields = Object.fromEntries(
      (embed!.fields as Array<{ name: string; value: string }>).map((f) => [f.name, f.value]),
    );
    expect(fields).toMatchObject({
      Amount: '1,250.5 BTC',
      Value: '$78,901,234',
      'Fee rate': '30.0 sat/vB',
      Urgency: 'critical (~1 block)',
      RBF: 'signals RBF',
      Status: 'pending',
    });
    for (const f of embed!.fields as Array<{ value: string }>)
      expect(f.value.length).toBeLessThanOrEqual(1024);
    expect(fields.Flow).toMatch(/^A+…$/);
    expect(embedLength(embed as never)).toBeLessThanOrEqual(6000);

    run.kernel.bus.publish(
      'whale.confirmed',
      { txid: id, height: 870123, blocksWaited: 1, minutesWaited: 7, predictedBlocks: 1 },
      'test',
    );
    const [edit] = await d.waitFor('PATCH', HOOK_EDIT);
    const messageId = [...d.messages.keys()][0]!;
    expect(edit!.path.endsWith(`/messages/${messageId}`)).toBe(true);
    const [edited] = (edit!.body as { embeds: Array<Record<string, any>> }).embeds;
    expect(edited!.title).toBe('🐋 1,250.5 BTC whale · confirmed');
    expect(edited!.color).toBe(0x2ecc71);
    expect(edited!.description).toContain('✅ **confirmed in block 870,123 after 7 min (1 block)**');
    expect(d.violations).toEqual([]);
    expect(d.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    await waitFor(
      () =>
        run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`desk/${id}`)?.targets.webhook
          ?.syncedVersion === 2,
      5000,
      'edit recorded',
    );
  });

  it('honours a 429 with retry_after (discord.js rate-limit handling) and posts once', async () => {
    const d = await fake();
    d.script('POST', HOOK, {
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: 1.2, global: false },
      headers: { 'retry-after': '1.2', 'x-ratelimit-scope': 'user' },
    });
    const run = await runYaml(webhookYaml(d));
    cleanups.push(run.stop);
    run.kernel.bus.publish('whale.detected', whale(txid(2)), 'test');
    const [first, second] = await d.waitFor('POST', HOOK, 2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1100);
    expect(d.messages.size).toBe(1);
  });

  it('a deleted webhook (404 Unknown Webhook) disables the instance loudly; the alert is kept', async () => {
    const d = await fake();
    const run = await runYaml(webhookYaml(d));
    cleanups.push(run.stop);
    expect(run.kernel.health.report().instances.desk).toMatchObject({ state: 'healthy' });
    d.script('POST', HOOK, { status: 404, body: { message: 'Unknown Webhook', code: 10015 } });
    run.kernel.bus.publish('whale.detected', whale(txid(3)), 'test');
    await waitFor(() => run.kernel.health.report().instances.desk?.state === 'unhealthy', 5000, 'unhealthy');
    expect(run.kernel.health.report().instances.desk!.reason).toMatch(
      /Discord answered 404 \(Unknown Webhook\).*deleted/,
    );
    expect(run.log.lines.some((l) => l.level === 'error' && /Unknown Webhook/.test(String(l.msg)))).toBe(
      true,
    );
    run.kernel.bus.publish('whale.detected', whale(txid(4)), 'test');
    await waitFor(
      () => run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).has(`desk/${txid(4)}`),
      5000,
      'second alert recorded',
    );
    // Recorded and left pending: the instance attempts nothing while disabled.
    expect(
      run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`desk/${txid(4)}`)?.targets.webhook,
    ).toMatchObject({ status: 'pending', attempts: 0 });
    expect(d.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it('a rate limit longer than discord.js may wait goes to the schedule, honouring retry_after', async () => {
    const d = await fake();
    d.script('POST', HOOK, {
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: 2.5, global: false },
      headers: { 'retry-after': '2.5', 'x-ratelimit-scope': 'user' },
    });
    const run = await runYaml(webhookYaml(d, ', retry: [100ms]'));
    cleanups.push(run.stop);
    run.kernel.bus.publish('whale.detected', whale(txid(6)), 'test');
    const [first, second] = await d.waitFor('POST', HOOK, 2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2400);
    expect(d.messages.size).toBe(1);
  });

  it('an entity label cannot inject Markdown (masked links, headings) into the embed', async () => {
    const d = await fake();
    const run = await runYaml(webhookYaml(d));
    cleanups.push(run.stop);
    run.kernel.bus.publish(
      'whale.detected',
      whale(txid(7), {
        flow: { type: 'inflow', from: '[Binance](https://evil.example)', to: '# Big **news**' },
      }),
      'test',
    );
    const [post] = await d.waitFor('POST', HOOK);
    const fields = (post!.body as { embeds: Array<{ fields: Array<{ name: string; value: string }> }> })
      .embeds[0]!.fields;
    const flow = fields.find((f) => f.name === 'Flow')!.value;
    // The masked link is broken by escaping its opening bracket: it shows as text.
    expect(flow.startsWith('\\[Binance](https://evil.example) → ')).toBe(true);
    expect(flow).toContain('# Big \\*\\*news\\*\\* (inflow)');
  });

  it('bot mode: posts to the channel with the bot token and edits there', async () => {
    const d = await fake();
    const run = await runYaml(
      `outputs:\n  desk: { use: discord, token: "${d.botToken}", channel: "${d.channel}", apiBase: "${d.api}" }\n`,
    );
    cleanups.push(run.stop);
    run.kernel.bus.publish('whale.detected', whale(txid(5)), 'test');
    const [post] = await d.waitFor('POST', /^\/channels\/\d+\/messages$/);
    expect(post!.headers.authorization).toBe(`Bot ${d.botToken}`);
    run.kernel.bus.publish('whale.dropped', { txid: txid(5), reason: 'not confirmed within 72h' }, 'test');
    const [edit] = await d.waitFor('PATCH', /^\/channels\/\d+\/messages\/\d+$/);
    expect((edit!.body as { embeds: Array<{ description: string }> }).embeds[0]!.description).toContain(
      'dropped from the mempool (not confirmed within 72h)',
    );
  });

  it('config: a URL that is not a Discord webhook, or webhook and bot together, is a located error', async () => {
    const bad = (yaml: string) =>
      parseConfig(yaml, 'spout.yaml', process.cwd(), {}).then(
        () => null,
        (e: Error) => e.message,
      );
    expect(await bad('outputs:\n  desk: { use: discord, webhookUrl: "https://example.com/hook" }\n')).toMatch(
      /spout\.yaml:2:\d+\s+outputs\.desk\.webhookUrl\s+must be a Discord webhook URL/,
    );
    expect(
      await bad(
        `outputs:\n  desk: { use: discord, webhookUrl: "https://discord.com/api/webhooks/123456789012345678/${'x'.repeat(68)}", token: "abcdefghijklmnopqrstuvwxyz", channel: "223456789012345678" }\n`,
      ),
    ).toMatch(/outputs\.desk\.webhookUrl\s+and token\/channel are alternatives/);
    expect(await bad('outputs:\n  desk: { use: discord, channel: "223456789012345678" }\n')).toMatch(
      /outputs\.desk\.token\s+is missing/,
    );
  });
});

describe('fitEmbed', () => {
  it('brings any embed within every Discord limit, the 6000 total included', () => {
    const fitted = fitEmbed({
      title: 'T'.repeat(400),
      description: 'D'.repeat(5000),
      footer: { text: 'F'.repeat(3000) },
      fields: Array.from({ length: 30 }, (_, i) => ({ name: `N${i}`.repeat(200), value: 'V'.repeat(2000) })),
    });
    expect(fitted.title!.length).toBeLessThanOrEqual(LIMITS.title);
    expect(fitted.description!.length).toBeLessThanOrEqual(LIMITS.description);
    expect(fitted.fields).toHaveLength(25);
    expect(
      fitted.fields!.every((f) => f.name.length <= 256 && f.value.length <= 1024 && f.value.length > 0),
    ).toBe(true);
    expect(embedLength(fitted)).toBeLessThanOrEqual(LIMITS.total);
  });
});
