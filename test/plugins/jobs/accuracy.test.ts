import { afterEach, describe, expect, it, vi } from 'vitest';
import accuracy from '../../../plugins/jobs/accuracy/index.js';
import { evaluate, NO_ALERT, type AlertSettings } from '../../../plugins/jobs/accuracy/alerts.js';
import { computeAccuracy } from '../../../plugins/jobs/accuracy/compute.js';
import type { Envelope } from '../../../src/bus/envelope.js';
import { createAjv } from '../../../src/config/ajv.js';
import { createKernel } from '../../../src/kernel/kernel.js';
import type { Store } from '../../../src/store/port.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { COLLECTIONS, type OutcomeRecord, type OutcomeStatus } from '../../../src/store/records.js';
import { captureLog, config, instance } from '../../helpers/kernel.js';

afterEach(() => vi.useRealTimers());

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const MIN = 60_000;

let serial = 0;
function outcome(
  score: number | null,
  settledAt: number,
  status: OutcomeStatus = 'confirmed',
): OutcomeRecord {
  const txid = `tx${++serial}`;
  return {
    txid,
    detectedAt: new Date(settledAt - 30 * MIN).toISOString(),
    settledAt: new Date(settledAt).toISOString(),
    status,
    valueSats: 200e8,
    predictedBlocks: 1,
    urgencyLevel: 'high',
    score,
  };
}

function put(store: Store, n: number, score: number, at = Date.now() - 60 * MIN): void {
  const outcomes = store.collection<OutcomeRecord>(COLLECTIONS.outcomes);
  for (let i = 0; i < n; i++) {
    const o = outcome(score, at);
    outcomes.put(o.txid, o);
  }
}

/** The plugin's options with the schema's defaults filled in, as the config loader does. */
function options(given: Record<string, unknown> = {}): Record<string, unknown> {
  const opts = { ...given };
  if (!createAjv().compile(accuracy.options)(opts)) throw new Error('invalid test options');
  return opts;
}

async function startAccuracy(store: Store) {
  const log = captureLog();
  const kernel = createKernel({
    config: config([instance('acc', accuracy, { options: options({ minSample: 20 }) })]),
    log: log.log,
    store,
  });
  const events: AccuracyEnvelope[] = [];
  kernel.bus.tap((e) => {
    if (e.type === 'accuracy.degraded' || e.type === 'accuracy.recovered') events.push(e);
  });
  await kernel.start();
  return { kernel, log, events };
}

type AccuracyEnvelope = Envelope<'accuracy.degraded' | 'accuracy.recovered'>;
const kinds = (events: AccuracyEnvelope[]) => events.map((e) => `${e.type} ${e.data.level}`);

describe('accuracy figures', () => {
  it('averages the scores settled inside the window; unknown and older outcomes do not count', () => {
    const now = T0;
    const figures = computeAccuracy(
      [
        outcome(1, now - MIN),
        outcome(0.1, now - 2 * MIN, 'replaced'),
        outcome(0.3, now - 3 * MIN, 'dropped'),
        outcome(0.6, now - 7 * 24 * 60 * MIN), // exactly at the window's start: counts
        outcome(null, now - MIN, 'unknown'),
        outcome(0, now - 7 * 24 * 60 * MIN - 1), // just outside
        outcome(0, now + MIN), // settled after now
      ],
      { from: now - 7 * 24 * 60 * MIN, to: now },
    );
    expect(figures).toEqual({
      sample: 4,
      accuracy: 0.5,
      falsePositiveRate: 0.5,
      confirmed: 2,
      replaced: 1,
      dropped: 1,
    });
  });
});

describe('accuracy alert decisions', () => {
  const settings: AlertSettings = {
    warning: 0.75,
    critical: 0.7,
    cooldownMs: 3_600_000,
    minSample: 20,
    window: '7d',
  };
  const figures = (accuracy: number, sample = 20) => ({
    sample,
    accuracy,
    falsePositiveRate: 0,
    confirmed: sample,
    replaced: 0,
    dropped: 0,
  });
  const at = (minutes: number) => new Date(T0 + minutes * MIN);

  it('a critical level easing to warning stays quiet until the cooldown, then reminds at warning', () => {
    let s = evaluate(NO_ALERT, figures(0.6), settings, at(0));
    expect(s.verdict).toMatchObject({
      kind: 'accuracy.degraded',
      event: { level: 'critical', threshold: 0.7 },
    });
    s = evaluate(s.state, figures(0.72), settings, at(30));
    expect(s.verdict).toEqual({ kind: 'quiet', level: 'warning' });
    s = evaluate(s.state, figures(0.72), settings, at(60));
    expect(s.verdict).toMatchObject({
      kind: 'accuracy.degraded',
      event: { level: 'warning', threshold: 0.75 },
    });
    s = evaluate(s.state, figures(0.8), settings, at(65));
    expect(s.verdict).toMatchObject({
      kind: 'accuracy.recovered',
      event: { level: 'warning', threshold: 0.75 },
    });
    // The cooldown outlives the recovery.
    expect(s.state).toEqual({ alerted: null, alertedAt: at(60).toISOString(), lastLevel: 'warning' });
  });

  it('accuracy flapping around the warning threshold alerts at most once per cooldown', () => {
    let s = evaluate(NO_ALERT, figures(0.74), settings, at(0));
    const kinds: string[] = [s.verdict.kind];
    for (const [minute, accuracy] of [
      [5, 0.76],
      [10, 0.74],
      [15, 0.76],
      [20, 0.74],
      [25, 0.76],
      [60, 0.74],
      [65, 0.76],
    ] as const) {
      s = evaluate(s.state, figures(accuracy), settings, at(minute));
      kinds.push(s.verdict.kind);
    }
    expect(kinds).toEqual([
      'accuracy.degraded',
      'accuracy.recovered',
      'quiet',
      'quiet',
      'quiet',
      'quiet',
      'accuracy.degraded', // an hour after the first
      'accuracy.recovered',
    ]);
    // A fall to a worse level is reported at once, cooldown or not.
    s = evaluate(s.state, figures(0.6), settings, at(70));
    expect(s.verdict).toMatchObject({ kind: 'accuracy.degraded', event: { level: 'critical' } });
  });

  it('below minSample nothing changes, even with an alert in force', () => {
    const alerted = evaluate(NO_ALERT, figures(0.5), settings, at(0)).state;
    const s = evaluate(alerted, figures(0.99, 19), settings, at(120));
    expect(s).toEqual({ verdict: { kind: 'not-enough-data' }, state: alerted });
  });

  it('exactly at the warning threshold is ok', () => {
    expect(evaluate(NO_ALERT, figures(0.75), settings, at(0)).verdict).toEqual({
      kind: 'quiet',
      level: 'ok',
    });
  });
});

describe('accuracy job (fake time)', () => {
  it('one degraded per cooldown while low, critical at once when worse, one recovered; nothing below minSample; a restart neither repeats nor forgets', async () => {
    vi.useFakeTimers({ now: T0 });
    const store = createMemoryStore();
    let { kernel, log, events } = await startAccuracy(store);

    // 19 scored outcomes (and one unknown): not enough data, however bad.
    put(store, 19, 0.1);
    store.collection<OutcomeRecord>(COLLECTIONS.outcomes).put('u', outcome(null, T0 - MIN, 'unknown'));
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(events).toEqual([]);
    expect(log.lines.filter((l) => l.msg === 'not enough data (19 of 20)')).toHaveLength(12);

    // Replace them with 20 scored at 0.72 (< warning 0.75).
    const outcomes = store.collection(COLLECTIONS.outcomes);
    for (const [id] of [...outcomes.entries()]) outcomes.delete(id);
    put(store, 20, 0.72); // 11:00
    await vi.advanceTimersByTimeAsync(5 * MIN); // run at 11:05
    expect(kinds(events)).toEqual(['accuracy.degraded warning']);
    expect(events[0]?.data).toEqual({
      accuracy: 0.72,
      window: '7d',
      threshold: 0.75,
      level: 'warning',
      sample: 20,
    });
    expect(events[0]?.source).toBe('acc');

    await vi.advanceTimersByTimeAsync(55 * MIN); // up to 12:00: still inside the cooldown
    expect(events).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5 * MIN); // 12:05: one hour after the first alert
    expect(kinds(events)).toEqual(['accuracy.degraded warning', 'accuracy.degraded warning']);
    expect(
      log.lines.some((l) =>
        /^accuracy 72\.0% over 7d \(20 settled, false positives 0\.0%\): warning$/.test(String(l.msg)),
      ),
    ).toBe(true);

    put(store, 20, 0.6); // mean 0.66 < critical 0.70: escalates at once, inside the cooldown
    await vi.advanceTimersByTimeAsync(5 * MIN); // 12:10
    expect(kinds(events).slice(2)).toEqual(['accuracy.degraded critical']);
    expect(events[2]?.data).toMatchObject({ accuracy: 0.66, threshold: 0.7, sample: 40 });

    // Restart within the cooldown: the alert is remembered, not repeated.
    await kernel.stop();
    ({ kernel, log, events } = await startAccuracy(store));
    await vi.advanceTimersByTimeAsync(30 * MIN); // 12:40
    expect(events).toEqual([]);
    expect(log.lines.filter((l) => /: critical$/.test(String(l.msg)))).toHaveLength(6);

    put(store, 60, 0.95); // mean (40×0.66 + 60×0.95) / 100 = 0.834
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(kinds(events)).toEqual(['accuracy.recovered critical']);
    expect(events[0]?.data).toEqual({
      accuracy: 0.834,
      window: '7d',
      threshold: 0.75,
      level: 'critical',
      sample: 100,
    });
    await kernel.stop();
  });

  it('the window slides: old outcomes stop counting', async () => {
    vi.useFakeTimers({ now: T0 });
    const store = createMemoryStore();
    put(store, 20, 0.5, T0 - 7 * 24 * 60 * MIN + 7 * MIN); // leaves the 7 d window at 10:07
    const { kernel, events, log } = await startAccuracy(store);
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(kinds(events)).toEqual(['accuracy.degraded critical']);
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(log.lines.at(-1)?.msg).toBe('not enough data (0 of 20)');
    expect(events).toHaveLength(1); // no data is no recovery
    await kernel.stop();
  });

  it('refuses a critical threshold above the warning one at setup', async () => {
    const kernel = createKernel({
      config: config([instance('acc', accuracy, { options: options({ warning: 0.6, critical: 0.7 }) })]),
      log: captureLog().log,
      store: createMemoryStore(),
    });
    await expect(kernel.start()).rejects.toMatchObject({
      code: 'SPOUT_CONFIG_INVALID',
      exit: 2,
      message:
        '[acc] jobs.acc.critical (0.7) must not be above jobs.acc.warning (0.6); lower critical or raise warning',
    });
  });
});

describe('accuracy job health (fake time)', () => {
  it('a failing run is logged and marks the instance degraded; the next successful run makes it healthy', async () => {
    vi.useFakeTimers({ now: T0 });
    const memory = createMemoryStore();
    let failing = true;
    const store: Store = {
      ...memory,
      collections: () => memory.collections(),
      flush: () => memory.flush(),
      collection<T>(name: string) {
        const c = memory.collection<T>(name);
        if (name !== COLLECTIONS.outcomes) return c;
        return {
          get: (id: string) => c.get(id),
          has: (id: string) => c.has(id),
          put: (id: string, doc: T) => c.put(id, doc),
          delete: (id: string) => c.delete(id),
          get size() {
            return c.size;
          },
          entries() {
            if (failing) throw new Error('outcomes unreadable');
            return c.entries();
          },
        };
      },
    };
    const { kernel, log } = await startAccuracy(store);
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(kernel.health.report().instances.acc).toMatchObject({
      state: 'degraded',
      reason: 'last accuracy run failed: outcomes unreadable',
    });
    const error = log.lines.find((l) => l.level === 'error');
    expect(error).toMatchObject({ instance: 'acc', msg: 'accuracy run failed: outcomes unreadable' });
    expect(error?.err).toMatchObject({ message: 'outcomes unreadable' });

    failing = false;
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(log.lines.at(-1)?.msg).toBe('not enough data (0 of 20)');
    expect(kernel.health.report().instances.acc).toMatchObject({ state: 'healthy' });
    await kernel.stop();
  });
});
