import type { EventMap, TxSeen } from '../../../src/index.js';
import { createIsoClock } from './clock.js';
import { createHeap } from './heap.js';
import { createMempoolModel } from './mempool-model.js';
import { resolveSimulationOptions, type SimulationOptions } from './options.js';
import { createRandom } from './random.js';
import { mempoolStats } from './stats.js';
import { createReplacement, createTx, drawFeeRate, drawValue, type ValueModel } from './transactions.js';
import { shapeWhale } from './whales.js';

/** The event types the simulator produces: exactly those of the live mempool input. */
export const SIMULATED_EVENT_TYPES = [
  'input.status',
  'tx.seen',
  'tx.replaced',
  'tx.removed',
  'block.connected',
  'mempool.stats',
] as const;

export type SimulatedEventType = (typeof SIMULATED_EVENT_TYPES)[number];

/** One generated event: `at` is its simulated time in whole milliseconds since the start. */
export type SimEvent = {
  [K in SimulatedEventType]: { at: number; type: K; data: EventMap[K] };
}[SimulatedEventType];

export { resolveSimulationOptions, SIMULATION_DEFAULTS, type SimulationOptions } from './options.js';

/** A block's weight limit (4,000,000 WU) in vbytes. */
export const MAX_BLOCK_VSIZE = 1_000_000;
export const PROJECTED_BLOCKS = 8;
/** Share of RBF-signalling transactions that are later replaced. */
export const REPLACED_SHARE = 0.3;
/** Share of non-signalling transactions that are later replaced anyway (full RBF). */
export const FULL_RBF_SHARE = 0.01;

/**
 * An endless, deterministic stream of simulated mempool events in time order. It has no timers
 * and never reads the clock: the same options always give the same sequence.
 */
export interface Simulation {
  /** The next event, without consuming it. */
  peek(): SimEvent;
  /** The next event, consumed. */
  next(): SimEvent;
  /** Transactions in the simulated mempool after the events generated so far (taken or peeked). */
  mempoolSize(): number;
  /** Total vsize of the simulated mempool after the events generated so far, in vbytes. */
  mempoolVsize(): number;
}

interface PendingReplacement {
  at: number;
  seq: number;
  old: TxSeen;
  fullRbf: boolean;
}

/**
 * Create a {@link Simulation}. Transactions arrive as a Poisson process (`txPerSecond`), blocks
 * at exponential intervals (mean `blockIntervalSeconds`) and mine the highest fee rates first,
 * stats come every `statsIntervalSeconds` and right after each block. The first events are
 * `input.status` connected and a `mempool.stats` at time 0. Missing options take
 * {@link SIMULATION_DEFAULTS}; invalid ones throw a RangeError.
 */
export function createSimulation(options: Partial<SimulationOptions> = {}): Simulation {
  const o = resolveSimulationOptions(options);
  const startMs = Date.parse(o.startTime);
  const rng = createRandom(o.seed);
  const mempool = createMempoolModel();
  const replacements = createHeap<PendingReplacement>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
  );
  const values: ValueModel = {
    whaleSats: Math.round(o.whaleBtc * 1e8),
    whaleProbability: Math.min(1, o.whalesPerHour / (o.txPerSecond * 3600)),
  };
  const queue: SimEvent[] = [];
  let seq = 0;
  let height = o.startHeight;
  let price = o.usdPrice;
  let nextTxAt = rng.exponential(o.txPerSecond) * 1000;
  let nextBlockAt = rng.exponential(1 / o.blockIntervalSeconds) * 1000;
  let nextStatsAt = o.statsIntervalSeconds * 1000;

  const iso = createIsoClock(startMs);
  const emit = <K extends SimulatedEventType>(at: number, type: K, data: EventMap[K]) =>
    void queue.push({ at: Math.floor(at), type, data } as SimEvent);

  const emitStats = (at: number) => {
    // A mean-reverting random walk around the configured price (about ±5 % over a day).
    price *= Math.exp(0.0005 * rng.normal() - 0.001 * Math.log(price / o.usdPrice));
    const projected = mempool.project(PROJECTED_BLOCKS, MAX_BLOCK_VSIZE);
    const usd = Math.round(price * 100) / 100;
    emit(at, 'mempool.stats', mempoolStats(projected, mempool.vsize(), MAX_BLOCK_VSIZE, usd));
  };

  const admit = (at: number, tx: TxSeen) => {
    mempool.add({ txid: tx.txid, feeRate: tx.feeRate, vsize: tx.vsize, seq: seq++ });
    emit(at, 'tx.seen', tx);
    while (mempool.size() > o.maxMempoolTx) {
      const evicted = mempool.evictLowest();
      if (!evicted) break;
      emit(at, 'tx.removed', { txid: evicted.txid, reason: 'evicted' });
    }
    const fullRbf = !tx.rbfSignaling;
    if (rng.chance(fullRbf ? FULL_RBF_SHARE : REPLACED_SHARE)) {
      // Some seconds to a few minutes later (mean about two minutes), never beyond 30 minutes.
      const delay = Math.min(1_800_000, 5_000 + rng.exponential(1 / 120) * 1000);
      replacements.push({ at: at + delay, seq: seq++, old: tx, fullRbf });
    }
  };

  const arrive = (at: number) => {
    const valueSats = drawValue(rng, values);
    const feeRate = drawFeeRate(rng);
    const signaling = rng.chance(o.rbfShare);
    const tx = createTx(rng, { valueSats, feeRate, signaling, firstSeen: iso(at) });
    admit(at, valueSats > values.whaleSats ? shapeWhale(rng, tx) : tx);
  };

  const replace = (at: number, pending: PendingReplacement) => {
    // Mined or evicted in the meantime: nothing left to replace.
    if (!mempool.has(pending.old.txid)) return;
    const tx = createReplacement(rng, pending.old, iso(at));
    mempool.remove(pending.old.txid);
    emit(at, 'tx.replaced', { txid: pending.old.txid, byTxid: tx.txid, fullRbf: pending.fullRbf });
    admit(at, tx);
  };

  const mineBlock = (at: number) => {
    const mined = mempool.mine(MAX_BLOCK_VSIZE);
    emit(at, 'block.connected', {
      height: height++,
      hash: '0'.repeat(20) + rng.hex(22),
      time: iso(at),
      txids: mined.map((e) => e.txid),
    });
    emitStats(at);
  };

  const step = () => {
    const pending = replacements.peek();
    const at = Math.min(nextTxAt, nextBlockAt, nextStatsAt, pending?.at ?? Infinity);
    if (at === nextBlockAt) {
      mineBlock(at);
      nextBlockAt = at + rng.exponential(1 / o.blockIntervalSeconds) * 1000;
    } else if (pending && at === pending.at) {
      replacements.pop();
      replace(at, pending);
    } else if (at === nextTxAt) {
      arrive(at);
      nextTxAt = at + rng.exponential(o.txPerSecond) * 1000;
    } else {
      emitStats(at);
      nextStatsAt += o.statsIntervalSeconds * 1000;
    }
  };

  emit(0, 'input.status', { state: 'connected', reason: 'simulator' });
  emitStats(0);

  const peek = (): SimEvent => {
    while (queue.length === 0) step();
    return queue[0] as SimEvent;
  };
  return {
    peek,
    next() {
      const event = peek();
      queue.shift();
      return event;
    },
    mempoolSize: () => mempool.size(),
    mempoolVsize: () => mempool.vsize(),
  };
}
