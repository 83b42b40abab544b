import type { Rpc } from './rpc.js';
import type { Status } from './status.js';
import type { Sync, SyncReport } from './sync.js';

export interface LoopDeps {
  rpc: Rpc;
  sync: Sync;
  status: Status;
  /** How often the node is asked whether it is alive while all is well. */
  heartbeatMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** A resync finished (for the log, the metrics and the stats). */
  synced(cause: string, report: SyncReport): void;
  log: { warn(o: object, m: string): void };
}

/** The input's heartbeat: keeps the RPC link checked and runs the resyncs asked for. */
export interface Loop {
  start(): void;
  /** Line up with the node as soon as it answers (`cause`: start, gap, zmq, rpc). */
  resync(cause: string): void;
  stop(): void;
}

/**
 * One loop, so a resync and the liveness check never run at once: while a resync is owed it
 * runs (at once when asked), else `getblockchaininfo` every `heartbeatMs`. A failure marks the
 * RPC down, keeps the resync owed and tries again after a backoff doubling from `backoffMinMs`
 * to `backoffMaxMs`; the first success marks it up.
 */
export function createLoop(d: LoopDeps): Loop {
  let owed: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let backoff = d.backoffMinMs;
  let running = false;
  let stopped = false;
  let failure: string | null = null;

  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => void tick(), ms);
  };

  const tick = async () => {
    if (running || stopped) return;
    running = true;
    try {
      if (owed !== null) {
        const cause = owed;
        owed = null;
        try {
          d.synced(cause, await d.sync.run());
        } catch (error) {
          owed = cause;
          throw error;
        }
      } else await d.rpc.call('getblockchaininfo');
      failure = null;
      backoff = d.backoffMinMs;
      d.status.rpc(true);
      schedule(owed !== null ? 0 : d.heartbeatMs);
    } catch (error) {
      const why = (error as Error).message;
      if (why !== failure)
        d.log.warn({ retryInMs: backoff }, `${why}; retrying in ${Math.round(backoff / 1000)} s`);
      failure = why;
      d.status.rpc(false, why);
      schedule(backoff);
      backoff = Math.min(backoff * 2, d.backoffMaxMs);
    } finally {
      running = false;
    }
  };

  return {
    start() {
      owed ??= 'start';
      schedule(0);
    },
    resync(cause) {
      owed ??= cause;
      if (!running && failure === null) schedule(0);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
