import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import simulator from '../../../plugins/inputs/simulator/index.js';
import {
  createSimulation,
  MAX_BLOCK_VSIZE,
  type SimEvent,
  type SimulationOptions,
} from '../../../plugins/inputs/simulator/simulation.js';
import type { AnyEnvelope } from '../../../src/bus/envelope.js';
import type { TxSeen } from '../../../src/bus/events.js';
import { createAjv } from '../../../src/config/ajv.js';
import { builtinLabels } from '../../../plugins/detectors/flow/builtin.js';
import { classifyFlow } from '../../../plugins/detectors/flow/classify.js';
import { createLabelSet } from '../../../plugins/detectors/flow/label-set.js';
import { analyzeChange, isRound } from '../../../plugins/detectors/whale/change.js';
import { createKernel } from '../../../src/kernel/kernel.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { captureLog, config, instance, until } from '../../helpers/kernel.js';

const START = '2026-03-01T12:00:00.000Z';
const HOUR_MS = 3_600_000;

/** Every event up to simulated time `endMs` (inclusive). */
function runUntil(options: Partial<SimulationOptions>, endMs: number): SimEvent[] {
  const sim = createSimulation({ startTime: START, ...options });
  const events: SimEvent[] = [];
  while (sim.peek().at <= endMs) events.push(sim.next());
  return events;
}

/**
 * The mempool as a consumer of the events sees it: tx.seen adds, tx.replaced, tx.removed and
 * block.connected take away. `check` runs before each event is applied, with the event's index
 * and the pool's total vsize.
 */
function replay(
  events: SimEvent[],
  check: (event: SimEvent, pool: Map<string, TxSeen>, i: number, vsize: number) => void,
) {
  const pool = new Map<string, TxSeen>();
  let vsize = 0;
  const drop = (txid: string) => {
    vsize -= pool.get(txid)?.vsize ?? 0;
    pool.delete(txid);
  };
  events.forEach((event, i) => {
    check(event, pool, i, vsize);
    if (event.type === 'tx.seen') {
      pool.set(event.data.txid, event.data);
      vsize += event.data.vsize;
    } else if (event.type === 'tx.replaced' || event.type === 'tx.removed') drop(event.data.txid);
    else if (event.type === 'block.connected') event.data.txids.forEach(drop);
  });
  return pool;
}

/** Problems found by plain checks, asserted once: expect() per event is far too slow here. */
function collect() {
  const problems: string[] = [];
  const problem = (e: SimEvent, what: string) =>
    void (problems.length < 10 && problems.push(`${e.at}: ${what}`));
  return { problem, problems };
}

// Four simulated hours at the default rate: shared by the property tests below.
let fourHours: SimEvent[] | undefined;
const traffic = () => (fourHours ??= runUntil({ seed: 42 }, 4 * HOUR_MS));

describe('simulator: whales as exchanges and wallets make them', () => {
  it('some pay a built-in exchange, some spend from one, some go between two; most are a round payment plus change', () => {
    const labels = createLabelSet([builtinLabels()]);
    const isExchange = (a: string | null) => a !== null && labels.get(a)?.type === 'exchange';
    const whales = runUntil({ seed: 7, whalesPerHour: 600 }, 2 * HOUR_MS)
      .filter((e): e is SimEvent & { type: 'tx.seen' } => e.type === 'tx.seen')
      .map((e) => e.data)
      .filter((tx) => tx.valueSats > 100e8);
    expect(whales.length).toBeGreaterThan(800);
    const share = (test: (tx: TxSeen) => boolean) => whales.filter(test).length / whales.length;
    const flows = whales.map((tx) => classifyFlow(tx, labels).type);
    const of = (type: string) => flows.filter((f) => f === type).length / whales.length;
    // Drawn as 30 % inflow, 20 % outflow, 10 % internal, 40 % between unlabelled wallets.
    expect(of('inflow')).toBeGreaterThan(0.25);
    expect(of('inflow')).toBeLessThan(0.35);
    expect(of('outflow')).toBeGreaterThan(0.15);
    expect(of('internal')).toBeGreaterThan(0.06);
    expect(of('unknown')).toBeGreaterThan(0.35);
    // Totals, fees and sizes stay as drawn.
    for (const tx of whales) {
      expect(tx.outputs.reduce((s, o) => s + o.valueSats, 0)).toBe(tx.valueSats);
      expect(tx.inputs.every((i) => i.address !== null) && tx.outputs.every((o) => o.valueSats > 0)).toBe(
        true,
      );
    }
    // About 60 % are a payment and its change: the change heuristics find it in most of them.
    const found = whales.map((tx) => analyzeChange(tx, isExchange));
    expect(share((tx) => tx.outputs.length === 2 && isRound(tx.outputs[0]!.valueSats))).toBeGreaterThan(0.5);
    expect(found.filter((c) => c.changeRule === 'address-reuse').length).toBeGreaterThan(0);
    expect(found.filter((c) => c.changeRule === 'exchange').length).toBeGreaterThan(0);
    expect(
      found.filter((c, i) => c.transferredSats < whales[i]!.valueSats).length / whales.length,
    ).toBeGreaterThan(0.4);
    expect(
      whales.some((tx) => tx.outputs.some((o) => isExchange(o.address)) && isExchange(tx.inputs[0]!.address)),
    ).toBe(true);
  });
});

describe('simulator: the pure generator', () => {
  it('gives the same events for the same seed and startTime, and others for another seed', () => {
    const take = (seed: number, n: number) => {
      const sim = createSimulation({ seed, startTime: START });
      return Array.from({ length: n }, () => sim.next());
    };
    const a = take(7, 20_000);
    expect(isDeepStrictEqual(take(7, 20_000), a)).toBe(true);
    expect(a[0]).toEqual({ at: 0, type: 'input.status', data: { state: 'connected', reason: 'simulator' } });
    expect(new Set(a.map((e) => e.type)).size).toBeGreaterThanOrEqual(4);
    const b = take(8, 20_000);
    expect(isDeepStrictEqual(b, a)).toBe(false);
    const txids = (events: SimEvent[]) => events.flatMap((e) => (e.type === 'tx.seen' ? [e.data.txid] : []));
    const inA = new Set(txids(a));
    expect(txids(b).some((txid) => inA.has(txid))).toBe(false);
  });

  it('produces whales at whalesPerHour (within 20 %) over a simulated day', () => {
    const sim = createSimulation({ seed: 3, txPerSecond: 2, whalesPerHour: 12, startTime: START });
    const whaleSats = 100e8;
    const replacements = new Set<string>();
    let originals = 0; // distinct whales: a replacement repeats its whale's outputs, not counted
    let all = 0; // every whale tx.seen, replacements included (what a whale detector would see)
    let ordinary = 0;
    for (let e = sim.next(); e.at <= 24 * HOUR_MS; e = sim.next()) {
      if (e.type === 'tx.replaced') replacements.add(e.data.byTxid);
      if (e.type !== 'tx.seen') continue;
      if (e.data.valueSats <= whaleSats) {
        ordinary++;
        continue;
      }
      all++;
      if (!replacements.has(e.data.txid)) originals++;
      expect(e.data.valueSats).toBeLessThanOrEqual(20_000e8);
    }
    const expected = 12 * 24;
    expect(Math.abs(originals - expected) / expected).toBeLessThan(0.2);
    expect(Math.abs(all - expected) / expected).toBeLessThan(0.2);
    expect(ordinary).toBeGreaterThan(2 * 86_400 * 0.95);
  });

  describe('over four simulated hours of default traffic', () => {
    afterAll(() => {
      fourHours = undefined; // a few hundred MB: let the rest of the file run without it
    });

    it('emits well-formed, time-ordered events of the mempool input only', () => {
      const events = traffic();
      const types = new Set(events.map((e) => e.type));
      expect([...types].sort()).toEqual(
        ['block.connected', 'input.status', 'mempool.stats', 'tx.replaced', 'tx.seen'].sort(),
      );
      const { problem, problems } = collect();
      const builtin = builtinLabels().addresses;
      const address =
        /^bc1(q[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{38}|p[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58})$/;
      let last = 0;
      let height = 870_000;
      for (const e of events) {
        if (e.at < last) problem(e, 'out of time order');
        last = e.at;
        const iso = new Date(Date.parse(START) + e.at).toISOString();
        if (e.type === 'block.connected') {
          if (e.data.height !== height++ || e.data.time !== iso) problem(e, 'block height or time');
          if (!/^0{20}[0-9a-f]{44}$/.test(e.data.hash)) problem(e, 'block hash');
        }
        if (e.type !== 'tx.seen') continue;
        const tx = e.data;
        const inputs = tx.inputs.reduce((s, i) => s + (i.valueSats ?? NaN), 0);
        if (!/^[0-9a-f]{64}$/.test(tx.txid)) problem(e, 'txid');
        if (tx.firstSeen !== iso) problem(e, 'firstSeen');
        if (!Number.isInteger(tx.valueSats) || !Number.isInteger(tx.feeSats)) problem(e, 'integer sats');
        if (tx.outputs.reduce((s, o) => s + o.valueSats, 0) !== tx.valueSats) problem(e, 'outputs sum');
        if (inputs !== tx.valueSats + tx.feeSats) problem(e, 'inputs sum');
        if (tx.feeRate !== tx.feeSats / tx.vsize || tx.feeRate < 1) problem(e, 'fee rate');
        if (tx.vsize < 110 || tx.vsize > 700) problem(e, 'vsize');
        if (tx.rbfSignaling !== tx.inputs.some((i) => i.sequence < 0xfffffffe)) problem(e, 'rbfSignaling');
        // A fake bech32 address, or a built-in exchange's (whales to and from exchanges).
        const plausible = (a: string | null) => a !== null && (address.test(a) || builtin.has(a));
        if (!tx.outputs.every((o) => plausible(o.address))) problem(e, 'address');
        if (!tx.outputs.every((o) => o.valueSats > 0) || !tx.inputs.every((i) => (i.valueSats ?? 0) > 0))
          problem(e, 'non-positive amount');
        if (tx.inputs.length < 1 || tx.inputs.length > 3 || tx.outputs.length < 1 || tx.outputs.length > 3)
          problem(e, 'input or output count');
      }
      expect(problems).toEqual([]);
      const seen = events.filter((e) => e.type === 'tx.seen').length;
      // Poisson arrivals at 7 tx/s over four hours (plus replacements), blocks every ~10 minutes.
      expect(seen / (4 * 3600)).toBeGreaterThan(6.8);
      expect(seen / (4 * 3600)).toBeLessThan(7.6);
      expect(height - 870_000).toBeGreaterThan(15);
    });

    it('mines the highest fee rates first, within the block size', () => {
      let blocks = 0;
      let full = 0;
      replay(traffic(), (event, pool) => {
        if (event.type !== 'block.connected') return;
        blocks++;
        const mined = event.data.txids.map((txid) => pool.get(txid));
        expect(mined.every((tx) => tx !== undefined)).toBe(true);
        const vsize = mined.reduce((s, tx) => s + (tx?.vsize ?? 0), 0);
        expect(vsize).toBeLessThanOrEqual(MAX_BLOCK_VSIZE);
        if (vsize > MAX_BLOCK_VSIZE * 0.99) full++;
        const minMined = Math.min(...mined.map((tx) => tx?.feeRate ?? 0));
        const minedSet = new Set(event.data.txids);
        let maxLeft = 0;
        for (const [txid, tx] of pool) if (!minedSet.has(txid)) maxLeft = Math.max(maxLeft, tx.feeRate);
        // Blocks end at the first transaction that does not fit, so nothing left outranks them.
        expect(minMined).toBeGreaterThanOrEqual(maxLeft);
        // An unfilled block takes the whole mempool.
        if (vsize < MAX_BLOCK_VSIZE - 1_000) expect(mined.length).toBe(pool.size);
      });
      expect(blocks).toBeGreaterThan(15);
      expect(full).toBeGreaterThan(5);
    });

    it('follows each tx.replaced with the replacement, which pays more and conflicts on the first input', () => {
      const events = traffic();
      const counts = { rbf: 0, fullRbf: 0 };
      const { problem, problems } = collect();
      replay(events, (event, pool, i) => {
        if (event.type !== 'tx.replaced') return;
        const next = events[i + 1];
        const old = pool.get(event.data.txid);
        if (!old) return problem(event, 'replaces a transaction not in the mempool');
        if (next?.type !== 'tx.seen') return problem(event, 'not followed by tx.seen');
        const tx = next.data;
        if (tx.txid !== event.data.byTxid) problem(event, 'tx.seen is not the replacement');
        if (tx.feeSats < old.feeSats + tx.vsize) problem(event, 'fee below old fee + 1 sat/vB');
        if (!(tx.feeRate > old.feeRate)) problem(event, 'fee rate not higher');
        if (!isDeepStrictEqual(tx.outputs, old.outputs)) problem(event, 'outputs differ');
        const [a, b] = [tx.inputs[0], old.inputs[0]];
        if (!a || !b || a.txid !== b.txid || a.vout !== b.vout) problem(event, 'first input differs');
        if (event.data.fullRbf !== !old.rbfSignaling) problem(event, 'fullRbf flag');
        counts[event.data.fullRbf ? 'fullRbf' : 'rbf']++;
      });
      expect(problems).toEqual([]);
      expect(counts.rbf).toBeGreaterThan(100);
      expect(counts.fullRbf).toBeGreaterThan(10);
    });

    it('reports projected blocks in fee order, fee ranges ascending, and the mempool size', () => {
      let stats = 0;
      const { problem, problems } = collect();
      replay(traffic(), (event, pool, _i, vsize) => {
        if (event.type !== 'mempool.stats') return;
        stats++;
        const { projectedBlocks: blocks, recommendedFees: fees, mempoolVsize, usdPrice } = event.data;
        if (mempoolVsize !== vsize) problem(event, `mempoolVsize ${mempoolVsize}, events say ${vsize}`);
        if (blocks.length > 8 || (pool.size > 0 && blocks.length === 0)) problem(event, 'block count');
        blocks.forEach((block, i) => {
          const range = block.feeRange;
          if (range.length !== 7 || range.some((x, j) => j > 0 && x < (range[j - 1] ?? 0)))
            problem(event, `block ${i}: feeRange not ascending`);
          if (block.medianFee !== range[3]) problem(event, `block ${i}: median`);
          if (block.vsize > MAX_BLOCK_VSIZE || block.nTx < 1) problem(event, `block ${i}: size`);
          const after = blocks[i + 1];
          if (after && (range[0] ?? 0) < (after.feeRange[6] ?? Infinity))
            problem(event, `block ${i} pays less than block ${i + 1}`);
        });
        const f = fees ?? { fastestFee: 0, halfHourFee: 0, hourFee: 0, economyFee: 0, minimumFee: 0 };
        if (
          f.minimumFee !== 1 ||
          !(f.fastestFee >= f.halfHourFee && f.halfHourFee >= f.hourFee && f.hourFee >= f.economyFee) ||
          f.economyFee < 1
        )
          problem(event, `recommended fees ${JSON.stringify(fees)}`);
        if (!(usdPrice !== undefined && usdPrice !== null && usdPrice > 80_000 && usdPrice < 110_000))
          problem(event, `usdPrice ${usdPrice}`);
      });
      expect(problems).toEqual([]);
      // Every 10 s and after each block.
      expect(stats).toBeGreaterThan(4 * 360);
    });
  });

  it('bounds the mempool at maxMempoolTx, evicting the lowest fee rates', () => {
    const sim = createSimulation({
      seed: 5,
      maxMempoolTx: 1_000,
      blockIntervalSeconds: 1e9,
      startTime: START,
    });
    const events: SimEvent[] = [];
    let largest = 0;
    for (let e = sim.next(); e.at <= 2 * HOUR_MS; e = sim.next()) {
      events.push(e);
      largest = Math.max(largest, sim.mempoolSize());
    }
    expect(largest).toBe(1_000);
    let evicted = 0;
    let largestSeen = 0;
    const notLowest: string[] = [];
    const pool = replay(events, (event, pool) => {
      largestSeen = Math.max(largestSeen, pool.size);
      if (event.type !== 'tx.removed' || event.data.reason !== 'evicted' || evicted++ % 50 !== 0) return;
      const rate = pool.get(event.data.txid)?.feeRate ?? NaN;
      for (const tx of pool.values()) if (!(rate <= tx.feeRate)) notLowest.push(event.data.txid);
    });
    // A consumer sees at most one more: a tx.seen comes right before the eviction it causes.
    expect(largestSeen).toBe(1_001);
    expect(notLowest).toEqual([]);
    expect(events.some((e) => e.type === 'block.connected')).toBe(false);
    expect(events.filter((e) => e.type === 'tx.removed').length).toBe(evicted);
    expect(evicted).toBeGreaterThan(40_000);
    expect(pool.size).toBe(1_000);
  });
});

describe('simulator: the input plugin', () => {
  /** A kernel running one simulator instance, and what it publishes. */
  function run(options: Record<string, unknown>) {
    const log = captureLog();
    const kernel = createKernel({
      config: config([instance('sim', simulator, { options })]),
      log: log.log,
      store: createMemoryStore(),
    });
    const received: AnyEnvelope[] = [];
    const counts = { published: 0, blocks: 0 };
    kernel.bus.subscribe('test', '*', (envelope) => {
      received.push(envelope);
      if (envelope.type === 'block.connected') counts.blocks++;
    });
    kernel.bus.tap(() => void counts.published++);
    return { kernel, received, counts, log };
  }

  /** The first `n` txids a simulator with these options publishes, and what it logged. */
  async function firstTxids(options: Record<string, unknown>, n = 50) {
    const { kernel, received, log } = run({ speed: 3600, ...options });
    const txids = () => received.flatMap((e) => (e.type === 'tx.seen' ? [e.data.txid] : []));
    await kernel.start();
    await until(() => txids().length >= n, 10_000, `${n} transactions`);
    expect(await kernel.stop()).toEqual([]);
    return { txids: txids().slice(0, n), lines: log.lines };
  }

  const seedLine = (lines: Array<Record<string, unknown>>) =>
    lines.find((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('simulator seed'));

  it('publishes the generator events in real time × speed, and nothing after stop', async () => {
    const { kernel, received, counts } = run({ seed: 11, speed: 3600, startTime: START });
    const began = performance.now();
    await kernel.start();
    expect(kernel.health.report().instances['sim']?.state).toBe('healthy');
    await until(() => counts.blocks >= 1, 10_000, 'a block');
    const elapsedMs = performance.now() - began;

    // Exactly the generator's events, in order, with the instance as source.
    const sim = createSimulation({ seed: 11, startTime: START });
    const expected = Array.from({ length: received.length }, () => sim.next());
    expect(
      isDeepStrictEqual(
        received.map((e) => ({ type: e.type, data: e.data })),
        expected.map((e) => ({ type: e.type, data: e.data })),
      ),
    ).toBe(true);
    expect(received.every((e) => e.source === 'sim')).toBe(true);

    // Paced: nothing published ahead of real time × speed; a block is ~10 simulated minutes in.
    const lastAt = expected[expected.length - 1]?.at ?? Infinity;
    expect(lastAt).toBeLessThanOrEqual(elapsedMs * 3600);
    expect(lastAt).toBeGreaterThan(10_000);
    expect(received.length).toBeGreaterThan(100);

    expect(await kernel.stop()).toEqual([]);
    const atStop = counts.published;
    // Nothing to await here: this checks that nothing more comes (at 3600× events were due
    // every few microseconds).
    await new Promise((r) => setTimeout(r, 100));
    expect(counts.published).toBe(atStop);
  });

  it('has an options schema with the documented defaults and bounds', () => {
    const validate = createAjv().compile(simulator.options);
    const options: Record<string, unknown> = {};
    expect(validate(options)).toBe(true);
    expect(options).toEqual({
      txPerSecond: 7,
      whalesPerHour: 12,
      whaleBtc: 100,
      blockIntervalSeconds: 600,
      rbfShare: 0.1,
      speed: 1,
      statsIntervalSeconds: 10,
      startHeight: 870_000,
      usdPrice: 95_000,
      maxMempoolTx: 200_000,
    });
    for (const bad of [
      { txPerSecond: 0 },
      { speed: -1 },
      { rbfShare: 1.5 },
      { seed: 1.5 },
      { startTime: 'yesterday' },
      { whalesPerHour: -1 },
    ])
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
    expect(validate({ startTime: START, speed: 60 })).toBe(true);
    expect(simulator.emits).toEqual([
      'input.status',
      'tx.seen',
      'tx.replaced',
      'tx.removed',
      'block.connected',
      'mempool.stats',
    ]);
  });

  it('at speed 1 publishes only what is due, starting with connected and a first stats', async () => {
    const { kernel, received } = run({ seed: 1, speed: 1 });
    const began = performance.now();
    await kernel.start();
    await until(() => received.length >= 2, 2_000, 'the first events');
    await kernel.stop();
    const elapsedMs = performance.now() - began;
    expect(received.slice(0, 2).map((e) => e.type)).toEqual(['input.status', 'mempool.stats']);
    expect(received[0]?.data).toEqual({ state: 'connected', reason: 'simulator' });
    // The simulated times do not depend on startTime (here: now), so the generator gives them.
    const sim = createSimulation({ seed: 1 });
    const ats = received.map((e) => {
      const next = sim.next();
      expect(next.type).toBe(e.type);
      return next.at;
    });
    expect(Math.max(...ats)).toBeLessThanOrEqual(elapsedMs);
  });

  it('draws a new seed at each start without one, logs it, and the logged seed repeats the run', async () => {
    const first = await firstTxids({});
    const second = await firstTxids({});
    // A restart publishes other txids: outboxes would otherwise skip them as already delivered.
    const seen = new Set(first.txids);
    expect(second.txids.some((txid) => seen.has(txid))).toBe(false);

    const logged = seedLine(first.lines);
    expect(logged?.['msg']).toMatch(
      /^simulator seed (\d+) \(drawn for this run; set "seed: \1" to repeat its transactions\); simulated clock from \S+, 3600× real time$/,
    );
    const seed = logged?.['seed'];
    expect(Number.isInteger(seed)).toBe(true);
    expect(seedLine(second.lines)?.['seed']).not.toBe(seed);

    // The logged seed, configured, publishes the same transactions again.
    const repeated = await firstTxids({ seed });
    expect(repeated.txids).toEqual(first.txids);
    expect(seedLine(repeated.lines)?.['msg']).toBe(
      `simulator seed ${String(seed)} (from the configuration); simulated clock from ${String(seedLine(repeated.lines)?.['startTime'])}, 3600× real time`,
    );
  });
});
