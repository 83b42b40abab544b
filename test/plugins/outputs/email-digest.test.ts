import { describe, expect, it } from 'vitest';
import {
  createDigest,
  DIGEST_MAX_ITEMS,
  type DigestEnvelope,
} from '../../../plugins/outputs/email/digest.js';
import { createEnvelope } from '../../../src/bus/envelope.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { captureLog } from '../../helpers/kernel.js';

const txid = (n: number) => n.toString(16).padStart(64, '0');
const detected = (n: number) =>
  createEnvelope(
    'whale.detected',
    {
      txid: txid(n),
      valueSats: 200e8,
      valueBtc: 200,
      valueUsd: null,
      feeSats: 1000,
      vsize: 200,
      feeRate: 5,
      status: 'pending',
      firstSeen: '2026-11-21T10:00:00.000Z',
      detectedAt: '2026-11-21T10:00:00.000Z',
      url: `https://mempool.space/tx/${txid(n)}`,
    },
    'whales',
  );

function setup(enqueue: (d: DigestEnvelope) => Promise<void>) {
  const store = createMemoryStore();
  const digest = createDigest({ instance: 'ops', store, log: captureLog().log, enqueue });
  return { store, digest };
}

describe('email output: digest collection', () => {
  it('hands a digest sealed before a crash over again, with the same id, and never lists a whale twice', async () => {
    const handed: DigestEnvelope[] = [];
    let fail = true;
    const { store, digest } = setup(async (d) => {
      if (fail) throw new Error('crash before the outbox write');
      handed.push(d);
    });
    await digest.add(detected(1));
    await digest.add(detected(2));
    await expect(digest.run(new Date('2026-11-21T11:00:00.000Z'))).rejects.toThrow('crash');
    const sealed = store.collection<{ sealed: { id: string } | null }>('email-digest').get('ops')!.sealed!;
    expect(sealed.id).toMatch(/^dig_[0-9a-f]{32}$/);

    fail = false;
    await digest.add(detected(3));
    await digest.add(detected(1)); // already sealed: ignored
    expect(await digest.run(new Date('2026-11-21T12:00:00.000Z'))).toBe(1);
    expect(handed.map((d) => [d.id === sealed.id, d.data.items.map((i) => i.txid)])).toEqual([
      [true, [txid(1), txid(2)]],
      [false, [txid(3)]],
    ]);
    expect(handed[1]!.data.since).toBe('2026-11-21T11:00:00.000Z');

    await digest.add(detected(2)); // mailed already: not listed again
    expect(await digest.run(new Date('2026-11-21T13:00:00.000Z'))).toBe(0);
    expect(handed).toHaveLength(2);
  });

  it('counts whales beyond the list limit instead of storing them', async () => {
    const handed: DigestEnvelope[] = [];
    const { digest } = setup(async (d) => void handed.push(d));
    for (let n = 1; n <= DIGEST_MAX_ITEMS + 3; n++) await digest.add(detected(n));
    expect(await digest.run()).toBe(DIGEST_MAX_ITEMS + 3);
    expect(handed[0]!.data.items).toHaveLength(DIGEST_MAX_ITEMS);
    expect(handed[0]!.data.overflow).toEqual({ whales: 3, updates: 0 });
  });
});
