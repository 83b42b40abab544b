import type { InputState, InputStatus } from '../../../src/index.js';

export interface StatusDeps {
  rpcUrl: string;
  unhealthyAfterMs: number;
  publish(status: InputStatus): void;
  health: { set(state: 'healthy' | 'degraded' | 'unhealthy', reason?: string): void };
  log: { error(o: object, m: string): void; info(o: object, m: string): void };
}

/** The input's connection state from its two links to the node. */
export interface Status {
  /** The RPC answered (up) or failed, with why. */
  rpc(up: boolean, why?: string): void;
  /** The ZMQ subscription is connected on every endpoint (up) or not, with why. */
  zmq(up: boolean, why?: string): void;
  state(): InputState;
  stop(): void;
}

/**
 * `input.status` from the RPC and ZMQ links: `connecting` until both were up once, `connected`
 * when both are, `degraded` when one is down (the reason names it), `disconnected` when both
 * are. Published on each change of state or reason. Not `connected` for `unhealthyAfterMs`: the
 * instance is unhealthy (`/health` 503) and an ERROR is logged once per outage.
 */
export function createStatus(d: StatusDeps): Status {
  let rpc: { up: boolean; why?: string } | null = null;
  let zmq: { up: boolean; why?: string } | null = null;
  let current: InputState = 'connecting';
  let reason: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let unhealthy = false;

  const watch = () => {
    if (timer) return;
    timer = setTimeout(() => {
      unhealthy = true;
      const why = `bitcoind not connected for ${Math.round(d.unhealthyAfterMs / 1000)} s: ${reason ?? current}`;
      d.log.error({ reason }, why);
      d.health.set('unhealthy', why);
    }, d.unhealthyAfterMs);
  };

  const update = () => {
    const down = [
      rpc && !rpc.up ? `RPC at ${d.rpcUrl}: ${rpc.why ?? 'down'}` : null,
      zmq && !zmq.up ? `ZMQ: ${zmq.why ?? 'down'}` : null,
    ].filter((x): x is string => x !== null);
    const next: InputState =
      rpc?.up && zmq?.up
        ? 'connected'
        : rpc === null || zmq === null
          ? down.length > 0
            ? 'degraded'
            : 'connecting'
          : down.length === 2
            ? 'disconnected'
            : 'degraded';
    const why = down.length > 0 ? down.join('; ') : undefined;
    if (next === 'connected') {
      clearTimeout(timer);
      timer = undefined;
      if (unhealthy) d.log.info({}, 'bitcoind connected again');
      unhealthy = false;
      d.health.set('healthy');
    } else {
      watch();
      if (!unhealthy) d.health.set('degraded', why ?? next);
    }
    if (next === current && why === reason) return;
    current = next;
    reason = why;
    d.publish(why ? { state: next, reason: why } : { state: next });
  };

  watch();
  return {
    rpc(up, why) {
      rpc = { up, ...(why ? { why } : {}) };
      update();
    },
    zmq(up, why) {
      zmq = { up, ...(why ? { why } : {}) };
      update();
    },
    state: () => current,
    stop: () => clearTimeout(timer),
  };
}
