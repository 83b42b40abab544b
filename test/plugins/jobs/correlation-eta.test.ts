import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Eta, WhaleConfirmed, WhaleSignal } from '../../../src/bus/events.js';
import { readStoreFiles } from '../../../src/store/file-format.js';
import { openLowdbStore } from '../../../src/store/lowdb.js';
import { COLLECTIONS } from '../../../src/store/records.js';
import type { Outcome, Prediction } from '../../../plugins/jobs/correlation/eta.js';
import { waitFor } from '../../helpers/fake-mempool.js';
import { runYaml } from '../../helpers/run-yaml.js';

// The correlation job scoring whales against the ETA they carried at detection. The signals are
// published as the urgency detector would annotate them. Feed times are fixed (only the distance
// between firstSeen and block times matters); detectedAt is the wall clock, as the detector sets
// it, so the job's wall-clock dropAfter check never fires whatever today's date.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
/** Two blocks at 10 minutes: the Gamma(2) quantiles. */
const ETA: Eta = { blocks: 2, p10Minutes: 5.32, p50Minutes: 16.78, p90Minutes: 38.9 };

const signal = (txid: string, eta?: unknown): WhaleSignal => ({
  txid,
  valueSats: 500e8,
  valueBtc: 500,
  valueUsd: null,
  feeSats: 2000,
  vsize: 200,
  feeRate: 10,
  urgency: { score: 0.5, level: 'medium', predictedBlocks: 2, basis: 'static-bands' },
  ...(eta === undefined ? {} : { eta: eta as Eta }),
  status: 'pending',
  firstSeen: iso(0),
  detectedAt: new Date().toISOString(),
  url: `https://mempool.space/tx/${txid}`,
});
const block = (height: number, minutes: number, txids: string[] = []) => ({
  height,
  hash: height.toString(16).padStart(64, '0'),
  time: iso(minutes),
  txids,
});
const YAML =
  'inputs:\n  feed: { use: replay }\ndetectors:\n  whales: { use: whale }\njobs:\n  correlation: { use: correlation }\n';

const confirmations = (run: Awaited<ReturnType<typeof runYaml>>) =>
  new Map(run.of('whale.confirmed').map((e) => [(e.data as WhaleConfirmed).txid, e.data as WhaleConfirmed]));

describe('correlation: the ETA of a confirmed whale', () => {
  it('publishes and stores the error against the median and the 10–90% range; nulls without an ETA', async () => {
    const run = await runYaml(YAML);
    cleanups.push(run.stop);
    const [inRange, late, none, malformed] = ['1', '2', '3', '4'].map((c) => c.repeat(64)) as [
      string,
      string,
      string,
      string,
    ];
    const predictions = run.store.collection<Prediction>(COLLECTIONS.predictions);
    run.kernel.bus.publish('block.connected', block(100, 0), 'feed');
    run.kernel.bus.publish('whale.detected', signal(inRange, ETA), 'test');
    run.kernel.bus.publish('whale.detected', signal(late, ETA), 'test');
    run.kernel.bus.publish('whale.detected', signal(none), 'test');
    run.kernel.bus.publish('whale.detected', signal(malformed, { blocks: 2, p50Minutes: 'soon' }), 'test');
    await waitFor(() => predictions.size === 4, 5000, 'four predictions');
    expect(predictions.get(inRange)?.eta).toEqual(ETA);
    expect(predictions.get(none)).not.toHaveProperty('eta');
    expect(predictions.get(malformed)).not.toHaveProperty('eta');

    run.kernel.bus.publish('block.connected', block(101, 12.5, [inRange, none, malformed]), 'feed');
    run.kernel.bus.publish('block.connected', block(102, 50, [late]), 'feed');
    await waitFor(() => run.of('whale.confirmed').length === 4, 5000, 'four confirmations');

    const events = confirmations(run);
    // 12.5 − 16.78: earlier than the median, within 5.32–38.9.
    expect(events.get(inRange)).toMatchObject({
      minutesWaited: 13,
      etaErrorMinutes: -4.28,
      withinEtaRange: true,
    });
    expect(events.get(late)).toMatchObject({
      minutesWaited: 50,
      etaErrorMinutes: 33.22,
      withinEtaRange: false,
    });
    for (const txid of [none, malformed])
      expect(events.get(txid)).toMatchObject({ etaErrorMinutes: null, withinEtaRange: null });

    const outcomes = run.store.collection<Outcome>(COLLECTIONS.outcomes);
    expect(outcomes.get(inRange)).toMatchObject({ eta: ETA, etaErrorMinutes: -4.28, withinEtaRange: true });
    expect(outcomes.get(late)).toMatchObject({ eta: ETA, etaErrorMinutes: 33.22, withinEtaRange: false });
    expect(outcomes.get(none)).toMatchObject({ etaErrorMinutes: null, withinEtaRange: null });
    expect(outcomes.get(none)).not.toHaveProperty('eta');
  });

  it('keeps the ETA with the prediction on disk: a restart before the block still scores it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-eta-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'spout.json');
    const open = () => openLowdbStore({ path, flushDelayMs: 5 });
    const w = 'e'.repeat(64);

    const first = await runYaml(YAML, { store: await open() });
    cleanups.push(first.stop);
    first.kernel.bus.publish('block.connected', block(100, 0), 'feed');
    first.kernel.bus.publish('whale.detected', signal(w, ETA), 'test');
    await waitFor(() => first.store.collection(COLLECTIONS.predictions).has(w), 5000, 'the prediction');
    await first.stop(); // closes the store
    const disk = (await readStoreFiles(path)).data.collections[COLLECTIONS.predictions] ?? {};
    expect((disk[w] as Prediction | undefined)?.eta).toEqual(ETA);

    const second = await runYaml(YAML, { store: await open() });
    cleanups.push(second.stop);
    second.kernel.bus.publish('block.connected', block(101, 9), 'feed');
    second.kernel.bus.publish('block.connected', block(102, 31.5, [w]), 'feed');
    await waitFor(() => second.of('whale.confirmed').length === 1, 5000, 'the confirmation');
    expect(second.of('whale.confirmed')[0]?.data).toEqual({
      txid: w,
      height: 102,
      blocksWaited: 2,
      minutesWaited: 32,
      predictedBlocks: 2,
      score: 1,
      etaErrorMinutes: 14.72, // 31.5 − 16.78, on the unrounded wait
      withinEtaRange: true,
    });
    expect(second.store.collection<Outcome>(COLLECTIONS.outcomes).get(w)).toMatchObject({
      eta: ETA,
      etaErrorMinutes: 14.72,
      withinEtaRange: true,
    });
  });
});

describe('correlation: what it queues', () => {
  it('queues the tx.seen of the whales it predicts for only, not the firehose', async () => {
    const run = await runYaml(
      'inputs:\n  feed: { use: replay }\njobs:\n  correlation: { use: correlation }\n',
    );
    cleanups.push(run.stop);
    const w = 'c'.repeat(64);
    run.kernel.bus.publish('whale.detected', signal(w), 'test');
    await waitFor(() => run.store.collection(COLLECTIONS.predictions).has(w), 5000, 'the prediction');
    const tx = (txid: string) => ({ ...signal(txid), inputs: [], outputs: [], rbfSignaling: false }) as never;
    for (let i = 0; i < 1000; i++)
      run.kernel.bus.publish('tx.seen', tx(i.toString(16).padStart(64, '0')), 'feed');
    expect(run.kernel.bus.depth().bySubscriber.correlation ?? 0).toBe(0);
    run.kernel.bus.publish('tx.seen', tx(w), 'feed');
    expect(run.kernel.bus.depth().bySubscriber.correlation).toBe(1);
    await run.kernel.bus.drain();
  });
});
