import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { openLowdbStore } from '../src/store/lowdb.js';
import type { OutboxRecord } from '../src/delivery/outbox/record.js';

export interface StoreResult {
  records: number;
  /** Median ms to put one outbox record on disk with the journal store. */
  journalMs: number;
  /** Median ms of lowdb's own write (whole file) with the same data: the baseline. */
  lowdbMs: number;
}

const record = (i: number): OutboxRecord => ({
  id: `desk/evt_${i.toString(16).padStart(32, '0')}`,
  instance: 'desk',
  channel: 'webhook',
  eventId: `evt_${i.toString(16).padStart(32, '0')}`,
  eventType: 'whale.detected',
  body: JSON.stringify({
    id: i,
    type: 'whale.detected',
    data: { txid: i.toString(16).padStart(64, '0'), valueBtc: 120 },
  }),
  status: 'delivered',
  attempts: 1,
  createdAt: '2026-11-21T10:00:00.000Z',
  updatedAt: '2026-11-21T10:00:00.500Z',
  nextAttemptAt: null,
  lastStatus: 200,
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * The outbox's write cost with `records` already stored: one new record flushed to disk (what a
 * webhook delivery does before its first attempt), against lowdb rewriting its whole file.
 */
export async function benchStore(records: number, samples = 30): Promise<StoreResult> {
  const dir = await mkdtemp(join(tmpdir(), 'spout-bench-store-'));
  try {
    const store = await openLowdbStore({ path: join(dir, 'journal.json'), flushDelayMs: 60_000 });
    const outbox = store.collection<OutboxRecord>('outbox');
    for (let i = 0; i < records; i++) outbox.put(record(i).id, record(i));
    await store.flush();
    const journalMs: number[] = [];
    for (let s = 0; s < samples; s++) {
      const r = record(records + s);
      const t = performance.now();
      outbox.put(r.id, r);
      await store.flush();
      journalMs.push(performance.now() - t);
    }
    await store.close();

    const data = {
      spout: 1,
      collections: {
        outbox: Object.fromEntries(Array.from({ length: records }, (_, i) => [record(i).id, record(i)])),
      },
    };
    const db = new Low(
      new DataFile(join(dir, 'lowdb.json'), { parse: JSON.parse, stringify: JSON.stringify }),
      data,
    );
    const lowdbMs: number[] = [];
    for (let s = 0; s < Math.min(samples, 10); s++) {
      const r = record(records + s);
      const t = performance.now();
      (db.data.collections.outbox as Record<string, unknown>)[r.id] = r;
      await db.write();
      lowdbMs.push(performance.now() - t);
    }
    return { records, journalMs: median(journalMs), lowdbMs: median(lowdbMs) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
