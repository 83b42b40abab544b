import type { AnyEnvelope, InputState } from '../../../src/index.js';
import type { LagFigures, MemoryFigures } from '../../../src/index.js';

/** The event types the status board follows (the api job consumes them). */
export const STATUS_EVENTS = ['input.status', 'block.connected', 'mempool.stats'] as const;
type StatusEvent = Extract<AnyEnvelope, { type: (typeof STATUS_EVENTS)[number] }>;

/** An input's connection as its last `input.status` said. */
export interface InputReport {
  /** The input's instance name. */
  name: string;
  state: InputState;
  reason: string | null;
  /** ISO time the input entered `state`. */
  since: string;
}

/** `GET /api/status`. */
export interface StatusReport {
  /** ISO time of the answer, on the kernel's clock. */
  now: string;
  /** Each input that reported a state since the api job started, in the order they first did. */
  inputs: InputReport[];
  /** The last `block.connected`: `at` is when it was published, `ageSeconds` how long ago. */
  block: { height: number; at: string; ageSeconds: number } | null;
  /**
   * The last `mempool.stats`: `count` is the transactions in the projected blocks (the whole
   * mempool with mempool.space, whose last projected block holds the rest), `vsize` the mempool's
   * size in vbytes, `at` when it was published.
   */
  mempool: { count: number; vsize: number; at: string } | null;
  /**
   * Memory now (see `MemoryFigures`) and the event-loop lag over the last one to two minutes
   * (see `LagMonitor.read`), null before the first sample.
   */
  process: MemoryFigures & { eventLoopLagMs: LagFigures | null };
}

/** What the inputs last said, kept from their events. */
export interface StatusBoard {
  observe(envelope: StatusEvent): void;
  /** The report at `now` (epoch ms) with the process figures given. */
  report(now: number, process: StatusReport['process']): StatusReport;
}

/** An empty board: what is not reported yet is absent (`inputs`) or null. */
export function createStatusBoard(): StatusBoard {
  const inputs = new Map<string, InputReport>();
  let block: { height: number; at: string } | null = null;
  let mempool: StatusReport['mempool'] = null;
  return {
    observe(e) {
      if (e.type === 'input.status') {
        const last = inputs.get(e.source);
        const since = last?.state === e.data.state ? last.since : e.time;
        inputs.set(e.source, { name: e.source, state: e.data.state, reason: e.data.reason ?? null, since });
      } else if (e.type === 'block.connected') {
        block = { height: e.data.height, at: e.time };
      } else {
        const count = e.data.projectedBlocks.reduce((sum, b) => sum + b.nTx, 0);
        mempool = { count, vsize: e.data.mempoolVsize, at: e.time };
      }
    },
    report: (now, process) => ({
      now: new Date(now).toISOString(),
      inputs: [...inputs.values()],
      block: block && {
        ...block,
        ageSeconds: Math.max(0, Math.floor((now - Date.parse(block.at)) / 1000)),
      },
      mempool,
      process,
    }),
  };
}
