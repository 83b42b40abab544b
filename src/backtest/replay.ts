import type { Logger } from 'pino';
import { eventId, type AnyEnvelope } from '../bus/envelope.js';
import { EVENT_KEYS, type IdKey } from '../bus/catalogue.js';
import type { WhaleSignal } from '../bus/events.js';
import type { SpoutConfig } from '../config/types.js';
import { createKernel } from '../kernel/kernel.js';
import { createMemoryStore } from '../store/memory.js';
import { COLLECTIONS, type OutcomeRecord } from '../store/records.js';
import type { ReplayClock } from './clock.js';
import type { RecordedEvent } from './format.js';
import { readEvents, type RecordingFile } from './reader.js';

/** Most events published before the bus is drained: far below its queue limit (100,000). */
const BATCH = 1_000;

/** One detected whale and how it ended (null: still pending when the recordings ended). */
export interface WhaleResult {
  signal: WhaleSignal;
  outcome: OutcomeRecord | null;
}

/** One file as replayed. */
export interface FileResult {
  path: string;
  startedAt: string;
  part: number;
  inputs: Array<{ instance: string; plugin: string }>;
  events: number;
  /** The gzip stream stopped before its end: what came before the cut was replayed. */
  truncated: boolean;
}

/** What a replay produced, before any statistics. */
export interface ReplayResult {
  files: FileResult[];
  events: number;
  /** Recorded times of the first and last event replayed (null without events). */
  from: string | null;
  to: string | null;
  /** In detection order. */
  whales: WhaleResult[];
  /** Handler failures the kernel logged (a detector or the correlation job threw). */
  failures: number;
  /** Wall-clock time from the pipeline's start until every event was handled, for events per second. */
  elapsedMs: number;
}

export interface ReplayOptions {
  /** A backtest pipeline (see `backtestPipeline`): the clock's detector first, no inputs. */
  config: SpoutConfig;
  clock: ReplayClock;
  /** In replay order. */
  files: RecordingFile[];
  log: Logger;
  /** Called as compressed bytes are read, with the totals so far. */
  onProgress?: (progress: { bytes: number; events: number }) => void;
}

/** The envelope a recorded event had, its id derived again as the bus derives it. */
function envelopeOf(event: RecordedEvent, moments: Map<string, number>): AnyEnvelope {
  const rule = EVENT_KEYS[event.type] as IdKey<unknown>;
  let key: string;
  if (rule.by === 'fact') key = rule.key(event.data);
  else {
    const seq = moments.get(event.source) ?? 0;
    moments.set(event.source, seq + 1);
    key = `${event.source}@${event.time}#${seq}`;
  }
  return { id: eventId(event.type, key), ...event } as AnyEnvelope;
}

/**
 * Replay recordings through a kernel running `config`, at full speed, on the recordings' clock
 * (see {@link ReplayClock}): each event is published as it was recorded (its time and source
 * kept), in file order. Before a `block.connected` the bus is drained, so the whales detected
 * before the block reached the correlation job first — as live, where a block comes long after
 * the transactions before it were handled. Resolves once every event was handled, with each
 * whale's signal and its outcome from the correlation job's records (the kernel's store lives in
 * memory). Rejects with a `RecordingError` for a damaged file (the kernel is stopped first) and
 * with the kernel's error when the pipeline cannot start.
 */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const { clock, config } = options;
  const store = createMemoryStore();
  let started = performance.now();
  const kernel = createKernel({ config, log: options.log, store, now: () => clock.now() ?? Date.now() });
  let failures = 0;
  kernel.events.on('handlerError', () => void failures++);
  try {
    await kernel.start();
    started = performance.now();
    const signals = new Map<string, WhaleSignal>();
    kernel.bus.subscribe('backtest', ['whale.detected'], (e) => {
      if (e.type === 'whale.detected' && !signals.has(e.data.txid)) signals.set(e.data.txid, e.data);
    });
    const files: FileResult[] = [];
    const moments = new Map<string, number>();
    let events = 0;
    let bytes = 0;
    let sinceDrain = 0;
    let from: string | null = null;
    let to: string | null = null;
    const publish = (envelope: AnyEnvelope) => void kernel.bus.publishEnvelope(envelope);
    for (const file of options.files) {
      const summary = await readEvents(
        file,
        (event, ms) => {
          events++;
          from ??= event.time;
          to = event.time;
          clock.stamp(event.data, ms);
          const envelope = envelopeOf(event, moments);
          if (event.type !== 'block.connected' && ++sinceDrain < BATCH) return publish(envelope);
          sinceDrain = 0;
          return kernel.bus.drain().then(() => publish(envelope));
        },
        (n) => {
          bytes += n;
          options.onProgress?.({ bytes, events });
        },
      );
      const { header } = file;
      files.push({
        path: file.shownAs,
        startedAt: header.startedAt,
        part: header.part,
        inputs: header.inputs,
        events: summary.events,
        truncated: summary.truncated,
      });
    }
    await kernel.bus.drain();
    options.onProgress?.({ bytes, events });
    const outcomes = store.collection<OutcomeRecord>(COLLECTIONS.outcomes);
    const whales = [...signals.values()].map((signal) => ({
      signal,
      outcome: outcomes.get(signal.txid) ?? null,
    }));
    return { files, events, from, to, whales, failures, elapsedMs: performance.now() - started };
  } finally {
    await kernel.stop();
  }
}
