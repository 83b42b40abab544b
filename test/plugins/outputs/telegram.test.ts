import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WhaleSignal } from '../../../src/bus/events.js';
import { etaText } from '../../../src/delivery/eta-text.js';
import { openLowdbStore } from '../../../src/store/lowdb.js';
import { COLLECTIONS } from '../../../src/store/records.js';
import type { ChatMessageRecord } from '../../../src/delivery/chat/record.js';
import { startFakeMempool, waitFor, isTrackMempool, type FakeMempool } from '../../helpers/fake-mempool.js';
import { startFakeTelegram, tooManyRequests, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { hasFixtures, loadBlock277647, scaleTx, type EsploraTx } from '../../helpers/fixtures.js';
import { runYaml } from '../../helpers/run-yaml.js';
import { newSecret, startReceiver } from '../../helpers/receiver.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length) await cleanups.pop()?.();
});

const CHANNEL = '-1001234567890';
const later = async <T>(p: Promise<T>, close: (t: T) => Promise<unknown>) => {
  const t = await p;
  cleanups.push(() => close(t));
  return t;
};

/** A fixture transaction scaled to a whale, and a label file naming its largest output. */
async function whaleWithLabel(label: string): Promise<{ tx: EsploraTx; labels: string }> {
  const base = loadBlock277647().find((t) => t.txid.startsWith('d3852055')) as EsploraTx;
  const tx = scaleTx(base, Math.ceil(150e8 / base.vout.reduce((s, o) => s + o.value, 0)));
  const out = [...tx.vout].sort((a, b) => b.value - a.value)[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'spout-tg-'));
  const labels = join(dir, 'labels.json');
  await writeFile(
    labels,
    JSON.stringify({ [out.scriptpubkey_address!]: { entity: label, type: 'exchange' } }),
  );
  return { tx, labels };
}

const pipeline = (fake: FakeMempool, tg: FakeTelegram, labels: string, extra = '') =>
  [
    'inputs:',
    `  feed: { use: mempool, url: "${fake.url}" }`,
    'detectors:',
    '  whales: { use: whale, thresholdBtc: 100 }',
    '  urgency: { use: urgency }',
    '  rbf: { use: rbf }',
    `  flow: { use: flow, labels: "${labels}", watch: false }`,
    'jobs:',
    '  correlation: { use: correlation, checkEvery: 100ms }',
    'outputs:',
    `  channel: { use: telegram, token: "${tg.token}", chat: "${CHANNEL}", apiRoot: "${tg.url}", pacing: { perChat: 10ms }${extra} }`,
  ].join('\n') + '\n';

const btc = (sats: number) => (sats / 1e8).toLocaleString('en-US', { maximumFractionDigits: 8 });

describe.skipIf(!hasFixtures)('telegram output against a fake Bot API', () => {
  it('posts a fixture whale as escaped HTML without link preview, then edits the same message when its block arrives', async () => {
    const fake = await later(startFakeMempool(), (f) => f.close());
    const tg = await later(startFakeTelegram(), (t) => t.close());
    const { tx, labels } = await whaleWithLabel('Evil <b>& Co');
    const run = await runYaml(pipeline(fake, tg, labels));
    cleanups.push(run.stop);
    await fake.waitForMessage(isTrackMempool());
    const now = () => Math.floor(Date.now() / 1000);
    fake.pushBlock({ id: '1'.padStart(64, '0'), height: 870122, timestamp: now() }, []);
    await waitFor(() => run.of('block.connected').length === 1, 5000, 'tip');
    fake.pushMempool({ added: [tx] });

    const [send] = await tg.waitFor('sendMessage');
    const w = run.of('whale.detected')[0]!.data as WhaleSignal;
    expect(w.flow).toMatchObject({ type: 'inflow', to: 'Evil <b>& Co' });
    expect(send!.body).toMatchObject({
      chat_id: CHANNEL,
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
    const usd = w.valueUsd === null ? [] : [`💵 $${Math.round(w.valueUsd).toLocaleString('en-US')}`];
    expect(send!.body.text).toBe(
      [
        `🐋 <b>${btc(w.valueSats)} BTC</b> whale · pending`,
        '🏦 <b>unknown wallet → Evil &lt;b&gt;&amp; Co (inflow)</b>',
        // d3852055… of block 277647 scaled ×2: a round 200 BTC paid, 6.05550676 BTC of change.
        `💸 ${btc(w.valueSats)} BTC out, ~200 BTC transferred`,
        ...usd,
        `⛽ ${w.feeRate.toFixed(1)} sat/vB · fee ${w.feeSats.toLocaleString('en-US')} sats`,
        `⏱ urgency <b>${w.urgency!.level}</b> · ${etaText(w.eta!)}`,
        `🔁 ${w.rbf!.signaling ? 'signals RBF' : 'final (no RBF)'}`,
        `🔗 <a href="https://mempool.space/tx/${tx.txid}">${tx.txid.slice(0, 8)}…${tx.txid.slice(-4)}</a>`,
      ].join('\n'),
    );
    expect(String(send!.body.text)).not.toContain('<b>&');

    fake.pushBlock({ id: '2'.padStart(64, '0'), height: 870123, timestamp: now() }, [tx.txid]);
    const [edit] = await tg.waitFor('editMessageText');
    const posted = await (async () => {
      const m = [...tg.messages.keys()];
      expect(m).toHaveLength(1);
      return m[0]!.split('/')[1];
    })();
    expect(String(edit!.body.message_id)).toBe(posted);
    expect(edit!.body).toMatchObject({
      chat_id: CHANNEL,
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
    const text = String(edit!.body.text);
    expect(text.split('\n')[0]).toBe(`🐋 <b>${btc(w.valueSats)} BTC</b> whale · confirmed`);
    expect(text.split('\n')[1]).toMatch(
      /^✅ <b>confirmed in block 870,123 after (less than a minute|\d+ min) \(1 block\)<\/b>$/,
    );
    expect(tg.of('sendMessage')).toHaveLength(1);
    const record = () =>
      run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`channel/${tx.txid}`)?.targets[
        CHANNEL
      ];
    await waitFor(() => record()?.syncedVersion === 2, 5000, 'edit recorded');
    expect(record()).toMatchObject({ status: 'posted', messageId: posted, syncedVersion: 2 });
  });
});

describe('telegram output: rate limits, bad token, restarts', () => {
  const whale = (txid: string): WhaleSignal => ({
    txid,
    valueSats: 250e8,
    valueBtc: 250,
    valueUsd: 25_000_000,
    feeSats: 5000,
    vsize: 250,
    feeRate: 20,
    status: 'pending',
    firstSeen: new Date().toISOString(),
    detectedAt: new Date().toISOString(),
    url: `https://mempool.space/tx/${txid}`,
  });
  const txid = (n: number) => n.toString(16).padStart(64, 'a');
  const yaml = (tg: FakeTelegram, extra = '', token = tg.token) =>
    `outputs:\n  channel: { use: telegram, token: "${token}", chat: ["${CHANNEL}", "@whales"], apiRoot: "${tg.url}", pacing: { perChat: 10ms }${extra} }\n`;

  it('waits out a 429 with retry_after: 2, then posts once', async () => {
    const tg = await later(startFakeTelegram(), (t) => t.close());
    tg.script('sendMessage', tooManyRequests(2));
    const run = await runYaml(yaml(tg).replace(`["${CHANNEL}", "@whales"]`, `"${CHANNEL}"`));
    cleanups.push(run.stop);
    run.kernel.bus.publish('whale.detected', whale(txid(1)), 'test');
    const [first, second] = await tg.waitFor('sendMessage', 2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1950);
    expect(second!.body).toEqual(first!.body);
    await waitFor(
      () =>
        run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`channel/${txid(1)}`)?.targets[
          CHANNEL
        ]?.status === 'posted',
      5000,
      'posted',
    );
    expect(tg.messages.size).toBe(1);
    expect(tg.of('sendMessage')).toHaveLength(2);
  });

  it('paces calls to one chat by pacing.perChat, while another chat is served in between', async () => {
    const tg = await later(startFakeTelegram(), (t) => t.close());
    const run = await runYaml(yaml(tg).replace('perChat: 10ms', 'perChat: 600ms'));
    cleanups.push(run.stop);
    run.kernel.bus.publish('whale.detected', whale(txid(7)), 'test');
    run.kernel.bus.publish('whale.detected', whale(txid(8)), 'test');
    const calls = await tg.waitFor('sendMessage', 4);
    const to = (chat: string) => calls.filter((c) => String(c.body.chat_id) === chat).map((c) => c.at);
    for (const chat of [CHANNEL, '@whales']) {
      const [a, b] = to(chat);
      expect(b! - a!).toBeGreaterThanOrEqual(580);
    }
    // The second chat's first post did not wait for the first chat's pacing.
    expect(to('@whales')[0]! - to(CHANNEL)[0]!).toBeLessThan(500);
  });

  it('a getMe that fails at start leaves the instance degraded until a post goes through', async () => {
    const tg = await later(startFakeTelegram(), (t) => t.close());
    tg.script('getMe', {
      status: 500,
      body: { ok: false, error_code: 500, description: 'Internal Server Error' },
    });
    const run = await runYaml(yaml(tg));
    cleanups.push(run.stop);
    expect(run.kernel.health.report().instances.channel).toMatchObject({ state: 'degraded' });
    expect(run.kernel.health.report().instances.channel!.reason).toMatch(
      /could not check the Telegram credentials: Telegram getMe: 500/,
    );
    run.kernel.bus.publish('whale.detected', whale(txid(9)), 'test');
    await tg.waitFor('sendMessage', 2);
    await waitFor(() => run.kernel.health.report().instances.channel?.state === 'healthy', 5000, 'healthy');
  });

  it('a bad token: start succeeds, /health shows the instance unhealthy with the reason, console and webhook keep delivering', async () => {
    const tg = await later(startFakeTelegram(), (t) => t.close());
    const secret = newSecret();
    const rx = await later(startReceiver(secret), (r) => r.close());
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
      if (String(chunk).includes('WHALE')) return lines.push(String(chunk)) > 0;
      return write(chunk, ...rest);
    }) as typeof process.stdout.write);
    const run = await runYaml(
      yaml(tg, '', '123456789:AAWrongTokenWrongTokenWrongToken') +
        `  hook: { use: webhook, url: "${rx.url}", secret: "${secret}" }\n  screen: { use: console }\n`,
    );
    cleanups.push(run.stop);
    const report = run.kernel.health.report();
    expect(report.status).toBe('unhealthy');
    expect(report.instances.channel).toMatchObject({ state: 'unhealthy' });
    expect(report.instances.channel!.reason).toMatch(
      /Telegram rejected the bot token \(401 Unauthorized\).*outputs\.channel\.token/,
    );
    expect(report.instances.channel!.reason).not.toContain('AAWrongToken');
    expect(report.instances.hook).toMatchObject({ state: 'healthy' });

    run.kernel.bus.publish('whale.detected', whale(txid(2)), 'test');
    await waitFor(() => rx.requests.length === 1 && lines.length === 1, 5000, 'webhook and console');
    expect(rx.requests[0]!.verified).toBe(true);
    expect(tg.of('sendMessage')).toHaveLength(0);
    // The alert is kept for a reload with a good token.
    expect(
      run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`channel/${txid(2)}`)?.targets[
        CHANNEL
      ],
    ).toMatchObject({ status: 'pending' });
  });

  it('restart between posting and confirmation: the confirmation edits the messages posted before; nothing is posted twice', async () => {
    const tg = await later(startFakeTelegram(), (t) => t.close());
    const dir = await mkdtemp(join(tmpdir(), 'spout-tg-store-'));
    const path = join(dir, 'spout.json');
    const id = txid(3);
    const messages = (run: { store: { collection<T>(n: string): { get(id: string): T | undefined } } }) =>
      run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`channel/${id}`);

    const signal = whale(id);
    const first = await runYaml(yaml(tg), { store: await openLowdbStore({ path }) });
    first.kernel.bus.publish('whale.detected', signal, 'test');
    await tg.waitFor('sendMessage', 2);
    await waitFor(
      () => Object.values(messages(first)?.targets ?? {}).every((t) => t.status === 'posted'),
      5000,
      'both posted',
    );
    await first.stop();

    const second = await runYaml(yaml(tg), { store: await openLowdbStore({ path }) });
    cleanups.push(second.stop);
    // The input sees the whale again after the restart (detected anew, a minute later), then it confirms.
    second.kernel.bus.publish(
      'whale.detected',
      { ...signal, detectedAt: new Date(Date.now() + 60_000).toISOString() },
      'test',
    );
    second.kernel.bus.publish(
      'whale.confirmed',
      { txid: id, height: 870123, blocksWaited: 2, minutesWaited: 7, predictedBlocks: 1 },
      'test',
    );
    const edits = await tg.waitFor('editMessageText', 2);
    expect(tg.of('sendMessage')).toHaveLength(2);
    expect(tg.messages.size).toBe(2);
    const posted = tg.of('sendMessage').map((c) => `${String(c.body.chat_id)}`);
    expect(posted.sort()).toEqual([CHANNEL, '@whales'].sort());
    for (const edit of edits) {
      const key = `${String(edit.body.chat_id)}/${String(edit.body.message_id)}`;
      expect(tg.messages.has(key)).toBe(true);
      expect(tg.messages.get(key)).toContain('✅ <b>confirmed in block 870,123 after 7 min (2 blocks)</b>');
    }
  });
});
