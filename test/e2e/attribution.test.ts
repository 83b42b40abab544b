import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TxSeen, WhaleSignal } from '../../src/bus/events.js';
import { startFakeDiscord, type FakeDiscord } from '../helpers/fake-discord.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/fake-telegram.js';
import { newSecret, startReceiver, turns, type Receiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/fake-mempool.js';
import { startSmtp, type SmtpTestServer } from '../helpers/smtp.js';
import { connect, isType, type TestClient } from '../helpers/ws/client.js';
import { startSpout } from '../helpers/ws/server.js';

// Issue 15, acceptance: a whale to a built-in exchange address is announced as an inflow to that
// exchange in every output, with what really moved and the ETA. One pipeline (whale, urgency and
// flow on the built-in labels) posts one real-shaped whale to six outputs on loopback servers:
// console, Telegram, Discord, e-mail, a Standard-Webhooks receiver and a WebSocket client.

const BINANCE = '34xp4vRoCGJym3xR7yCVPFHoCNxv4Twseo'; // Binance's proof-of-reserve disclosure (2022-11)
const SENDER = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';
const TXID = 'f1'.repeat(32);
const FLOW_TEXT = 'unknown wallet → Binance (inflow)';

/** 600 BTC in; 250 BTC to Binance, 349.99 BTC back to the sender's own address (change). */
const whaleTx: TxSeen = {
  txid: TXID,
  valueSats: 599_9900_0000,
  feeSats: 1_000_000,
  vsize: 250,
  feeRate: 4000,
  inputs: [{ txid: 'ab'.repeat(32), vout: 1, sequence: 0xffffffff, address: SENDER, valueSats: 600e8 }],
  outputs: [
    { address: BINANCE, valueSats: 250e8 },
    { address: SENDER, valueSats: 349_9900_0000 },
  ],
  rbfSignaling: false,
  firstSeen: new Date().toISOString(),
};

let tg: FakeTelegram;
let discord: FakeDiscord;
let smtp: SmtpTestServer;
let receiver: Receiver;
let ws: TestClient;
let stop: () => Promise<unknown>;
const printed: string[] = [];

beforeAll(async () => {
  const secret = newSecret();
  [tg, discord, smtp, receiver] = await Promise.all([
    startFakeTelegram(),
    startFakeDiscord(),
    startSmtp(),
    startReceiver(secret),
  ]);
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.includes('WHALE')) return (void printed.push(text), true);
    return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
  });
  const spout = await startSpout(
    [
      'inputs:',
      '  feed: { use: replay }',
      'detectors:',
      '  whales: { use: whale, thresholdBtc: 100 }',
      '  urgency: { use: urgency }',
      '  flow: { use: flow, labels: builtin }',
      'outputs:',
      '  screen: { use: console }',
      `  tg: { use: telegram, token: "${tg.token}", chat: "-1009876543210", apiRoot: "${tg.url}", pacing: { perChat: 10ms } }`,
      `  desk: { use: discord, webhookUrl: "${discord.webhookUrl}", apiBase: "${discord.api}" }`,
      '  ops:',
      '    use: email',
      `    smtp: "${smtp.url()}"`,
      '    from: "Spout alerts <alerts@example.com>"',
      '    to: [ops@example.com]',
      '    events: [whale.detected]',
      `  hook: { use: webhook, url: "${receiver.url}", secret: "${secret}" }`,
      '  live: { use: websocket }',
    ].join('\n'),
  );
  stop = () => spout.stop();
  ws = connect(spout.wsUrl(), { token: await spout.token() });
  await ws.next(isType('auth.ok'));
  spout.kernel.bus.publish('tx.seen', whaleTx, 'feed');
  await spout.kernel.bus.drain();
}, 30_000);

afterAll(async () => {
  vi.restoreAllMocks();
  ws?.ws.terminate();
  await stop?.();
  await Promise.all([tg?.close(), discord?.close(), smtp?.close(), receiver?.close()]);
});

describe('attribution, transferred amount and ETA in every output', () => {
  it('console: one line naming the flow, the transferred amount and the ETA', async () => {
    // The console writes its lines once per turn of the event loop, after the bus has handed them over.
    await waitFor(() => printed.length > 0, 5000, 'the console line');
    const line = printed.join('');
    expect(line).toContain('WHALE 599.99 BTC out, ~250 BTC transferred');
    expect(line).toContain(FLOW_TEXT);
    expect(line).toMatch(/next block: ~\d+(\.\d)? min \(\d+(\.\d)?–\d+(\.\d)? min\)/);
  });

  it('Telegram: the message says who moved it and how much really moved', async () => {
    const [post] = await tg.waitFor('sendMessage', 1);
    const text = String(post!.body.text);
    expect(text).toContain(`🏦 <b>${FLOW_TEXT}</b>`);
    expect(text).toContain('💸 599.99 BTC out, ~250 BTC transferred');
    expect(text).toMatch(/⏱ urgency <b>\w+<\/b> · next block: ~/);
  });

  it('Discord: the embed carries Flow, Transferred and ETA fields', async () => {
    const [post] = await discord.waitFor('POST', /\/webhooks\//, 1);
    const embed = (post!.body as { embeds: Array<{ fields: Array<{ name: string; value: string }> }> })
      .embeds[0]!;
    const field = (name: string) => embed.fields.find((f) => f.name === name)?.value;
    expect(field('Flow')).toBe(FLOW_TEXT);
    expect(field('Transferred')).toBe('599.99 BTC out, ~250 BTC transferred');
    expect(field('ETA')).toMatch(/^next block: ~/);
  });

  it('e-mail: the subject and the first fact name the flow; the facts give transferred and ETA', async () => {
    const [mail] = await smtp.waitFor(1);
    expect(mail!.mail.subject).toContain(FLOW_TEXT);
    const text = mail!.mail.text ?? '';
    expect(text).toMatch(new RegExp(`Flow:\\s+${FLOW_TEXT.replace(/[()]/g, '\\$&')}`));
    expect(text).toMatch(/Transferred:\s+~250 BTC \(the rest is likely change: exchange\)/);
    expect(text).toMatch(/ETA:\s+next block: ~/);
  });

  it('webhook: a verified payload with flow.type, flow.from, flow.to, transferredSats, changeRule and eta', async () => {
    await turns(() => receiver.requests.length > 0, 'a webhook');
    const request = receiver.requests[0]!;
    expect(request.verified).toBe(true);
    const data = (JSON.parse(request.body) as { data: WhaleSignal }).data;
    expect(data.flow).toEqual({ type: 'inflow', from: null, to: 'Binance' });
    expect(data).toMatchObject({ valueSats: 599_9900_0000, transferredSats: 250e8, changeRule: 'exchange' });
    expect(data.eta).toMatchObject({ blocks: 1 });
  });

  it('WebSocket: the whale.detected message carries the same structured fields', async () => {
    const message = await ws.next(isType('whale.detected'));
    const data = message.data as WhaleSignal;
    expect(data.flow).toEqual({ type: 'inflow', from: null, to: 'Binance' });
    expect(data).toMatchObject({ transferredSats: 250e8, changeRule: 'exchange' });
    expect(data.eta?.p10Minutes).toBeLessThan(data.eta!.p50Minutes);
  });
});
