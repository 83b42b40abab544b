import { afterEach, describe, expect, it } from 'vitest';
import type { Eta, Urgency, WhaleSignal } from '../../../src/bus/events.js';
import type { ChatMessageRecord } from '../../../src/delivery/chat/record.js';
import { etaText } from '../../../src/delivery/eta-text.js';
import { COLLECTIONS } from '../../../src/store/records.js';
import { waitFor } from '../../helpers/fake-mempool.js';
import { startFakeTelegram } from '../../helpers/fake-telegram.js';
import { runYaml } from '../../helpers/run-yaml.js';

// A pending whale's message follows its prediction (whale.updated): edited in place while pending,
// never after it settled, and an update of a whale never posted posts nothing.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const CHAT = '-1001234567890';
const txid = (c: string) => c.repeat(64);
const urgency = (predictedBlocks: number, level: Urgency['level']): Urgency => ({
  score: 0.5,
  level,
  predictedBlocks,
  basis: 'projected-position',
});
const eta = (blocks: number): Eta => ({
  blocks,
  p10Minutes: blocks * 3,
  p50Minutes: blocks * 9,
  p90Minutes: blocks * 20,
});
const whale = (id: string): WhaleSignal => ({
  txid: id,
  valueSats: 250e8,
  valueBtc: 250,
  valueUsd: null,
  feeSats: 5000,
  vsize: 250,
  feeRate: 20,
  urgency: urgency(1, 'high'),
  eta: eta(1),
  status: 'pending',
  firstSeen: '2026-11-21T10:00:00.000Z',
  detectedAt: '2026-11-21T10:00:01.000Z',
  url: `https://mempool.space/tx/${id}`,
});

describe('telegram output: whale.updated', () => {
  it('edits the posted message with the new urgency and ETA while pending, and not after confirmation', async () => {
    const tg = await startFakeTelegram();
    cleanups.push(() => tg.close());
    const run = await runYaml(
      `outputs:\n  channel: { use: telegram, token: "${tg.token}", chat: "${CHAT}", apiRoot: "${tg.url}", pacing: { perChat: 10ms } }\n`,
    );
    cleanups.push(run.stop);
    const publish = run.kernel.bus.publish.bind(run.kernel.bus);
    const W = txid('a');
    const record = () =>
      run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`channel/${W}`)?.targets[CHAT];

    publish('whale.detected', whale(W), 'test');
    const [post] = await tg.waitFor('sendMessage');
    expect(String(post!.body.text)).toContain(`urgency <b>high</b> · ${etaText(eta(1))}`);
    await waitFor(() => record()?.status === 'posted', 5000, 'posted');

    publish('whale.updated', { txid: W, urgency: urgency(3, 'medium'), eta: eta(3) }, 'test');
    const [edit] = await tg.waitFor('editMessageText');
    expect(String(edit!.body.message_id)).toBe(record()?.messageId);
    expect(String(edit!.body.text)).toContain(`urgency <b>medium</b> · ${etaText(eta(3))}`);
    expect(String(edit!.body.text)).toContain('whale · pending');

    publish(
      'whale.confirmed',
      { txid: W, height: 870_123, blocksWaited: 2, minutesWaited: 14, predictedBlocks: 1 },
      'test',
    );
    await tg.waitFor('editMessageText', 2);
    publish('whale.updated', { txid: W, urgency: urgency(5, 'low'), eta: eta(5) }, 'test');
    // An update of a whale this output never posted: no message.
    publish('whale.updated', { txid: txid('b'), urgency: urgency(2, 'medium'), eta: eta(2) }, 'test');
    // A later whale as a sentinel: events reach the output in order, so once it is posted, the
    // updates before it were handled.
    publish('whale.detected', whale(txid('c')), 'test');
    await tg.waitFor('sendMessage', 2);
    expect(tg.of('sendMessage').map((c) => String(c.body.text).includes(txid('c').slice(0, 8)))).toEqual([
      false,
      true,
    ]);
    expect(tg.of('editMessageText')).toHaveLength(2);
    const stored = run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`channel/${W}`);
    expect(stored?.signal?.urgency?.predictedBlocks).toBe(3);
    expect(stored?.outcome?.status).toBe('confirmed');
    expect(
      run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`channel/${txid('b')}`),
    ).toBeUndefined();
  });
});
