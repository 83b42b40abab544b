import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { start, type Running } from '../helpers/cli.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/fake-telegram.js';

const running: Running[] = [];
let tg: FakeTelegram | null = null;
afterEach(async () => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await tg?.close();
  tg = null;
});

const whale = (n: number) => {
  const txid = n.toString(16).padStart(64, 'e');
  return {
    txid,
    valueSats: 300e8,
    valueBtc: 300,
    valueUsd: 30_000_000,
    feeSats: 4000,
    vsize: 200,
    feeRate: 20,
    status: 'pending',
    firstSeen: '2026-11-21T07:00:00.000Z',
    detectedAt: '2026-11-21T07:00:01.000Z',
    url: `https://mempool.space/tx/${txid}`,
  };
};

describe('telegram output (built CLI, fake Bot API on 127.0.0.1)', () => {
  it('SIGKILL after posting; on restart the same whales are seen again and settle: their messages are edited, none posted twice', async () => {
    const fake = await startFakeTelegram();
    tg = fake;
    const dir = await mkdtemp(join(tmpdir(), 'spout-tg-e2e-'));
    const config = join(dir, 'config.yaml');
    const yaml = (items: Array<{ type: string; data: unknown }>) =>
      [
        'log: { level: debug, format: json }',
        'http: { enabled: false }',
        `storage: { path: ${JSON.stringify(join(dir, 'spout.json'))} }`,
        'inputs:',
        `  feed: { use: replay, items: ${JSON.stringify(items)} }`,
        'outputs:',
        `  channel: { use: telegram, token: "\${TG_TOKEN}", chat: "@whales", apiRoot: "${fake.url}", pacing: { perChat: 10ms } }`,
      ].join('\n') + '\n';
    const env = { TG_TOKEN: tg.token };
    const [a, b] = [whale(1), whale(2)];

    await writeFile(
      config,
      yaml([
        { type: 'whale.detected', data: a },
        { type: 'whale.detected', data: b },
      ]),
    );
    const first = start(['run', '-c', config], { env });
    running.push(first);
    await tg.waitFor('sendMessage', 2);
    await first.waitFor(/"msg":"chat post done".*"msg":"chat post done"/s);
    first.child.kill('SIGKILL');
    await first.exited;

    await writeFile(
      config,
      yaml([
        { type: 'whale.detected', data: a },
        { type: 'whale.detected', data: b },
        {
          type: 'whale.confirmed',
          data: { txid: a.txid, height: 870123, blocksWaited: 1, minutesWaited: 9, predictedBlocks: 1 },
        },
        { type: 'whale.dropped', data: { txid: b.txid, reason: 'not confirmed within 72h' } },
      ]),
    );
    const second = start(['run', '-c', config], { env });
    running.push(second);
    const edits = await tg.waitFor('editMessageText', 2);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    expect(tg.of('sendMessage')).toHaveLength(2);
    const shown = [...tg.messages.values()];
    expect(shown).toHaveLength(2);
    expect(shown.some((t) => t.includes('✅ <b>confirmed in block 870,123 after 9 min (1 block)</b>'))).toBe(
      true,
    );
    expect(
      shown.some((t) => t.includes('🗑️ <b>dropped from the mempool (not confirmed within 72h)</b>')),
    ).toBe(true);
    const ids = new Set(tg.of('sendMessage').map((_, i) => String(100 + i)));
    for (const e of edits) expect(ids.has(String(e.body.message_id))).toBe(true);
    expect(first.stderr() + second.stderr()).not.toContain(tg.token);
  });
});
