import { EventEmitter } from 'node:events';
import { createBus } from '../src/bus/bus.js';
import type { TxRemoved } from '../src/bus/events.js';

export interface BusResult {
  events: number;
  subscribers: number;
  busPerSecond: number;
  baselinePerSecond: number;
  ratio: number;
}

/**
 * Events per second through the bus (envelope with a SHA-256 id, one async queue per subscriber)
 * against Node's synchronous EventEmitter carrying the same objects, measured in the same run.
 */
export async function benchBus(events = 200_000, subscribers = 3): Promise<BusResult> {
  const data: TxRemoved[] = Array.from({ length: events }, (_, i) => ({
    txid: i.toString(16).padStart(64, '0'),
    reason: 'evicted',
  }));

  const emitter = new EventEmitter();
  let sink = 0;
  for (let s = 0; s < subscribers; s++)
    emitter.on('tx.removed', (e: { data: TxRemoved }) => void (sink += e.data.txid.length));
  let t = process.hrtime.bigint();
  for (const d of data)
    emitter.emit('tx.removed', { type: 'tx.removed', time: new Date().toISOString(), data: d });
  const baselineNs = Number(process.hrtime.bigint() - t);

  const bus = createBus();
  for (let s = 0; s < subscribers; s++)
    bus.subscribe(`s${s}`, ['tx.removed'], (e) => void (sink += (e.data as TxRemoved).txid.length));
  t = process.hrtime.bigint();
  for (const d of data) bus.publish('tx.removed', d, 'bench');
  await bus.drain();
  const busNs = Number(process.hrtime.bigint() - t);
  if (sink === 0) throw new Error('nothing delivered');

  const busPerSecond = events / (busNs / 1e9);
  const baselinePerSecond = events / (baselineNs / 1e9);
  return { events, subscribers, busPerSecond, baselinePerSecond, ratio: busPerSecond / baselinePerSecond };
}
