import { Type } from '@sinclair/typebox';
import {
  type InputState,
  type TxSeen,
  parseDuration,
  defineInput,
  counter,
  Duration,
  createLru,
} from '../../../src/index.js';
import { createConnection, displayUrl } from './connection.js';
import { createFrameRoom } from './room.js';
import { handleFrame, type FrameSink } from './frames.js';
import { createRecovery } from './recovery.js';
import { createRejections } from './rejections.js';
import { createOutages } from './outages.js';
import { createTipGuard } from './validate.js';
import { createTracking } from './tracking.js';
import { createShedding } from './shedding.js';
import { inputCounters } from '../shared/metrics.js';

const HEALTH: Record<InputState, 'healthy' | 'degraded'> = {
  connecting: 'degraded',
  connected: 'healthy',
  degraded: 'degraded',
  disconnected: 'degraded',
};

/**
 * `mempool`: mempool.space's WebSocket API (public or self-hosted). Subscribes to blocks,
 * stats, projected blocks, the full-transaction firehose and RBF; emits `tx.seen`,
 * `tx.replaced`, `tx.removed`, `block.connected`, `mempool.stats` and `input.status`. Follows
 * its pending transactions of at least `trackMinBtc` live (`track-txs`, the 100 most valuable)
 * and emits `tx.position` when the server projects one anew.
 * See docs/inputs.md for what can be missed while disconnected and what is recovered.
 */
export default defineInput({
  name: 'mempool',
  description: 'Live transactions, blocks and fee state from a mempool.space WebSocket server.',
  options: Type.Object({
    url: Type.String({
      pattern: '^wss?://',
      default: 'wss://mempool.space/api/v1/ws',
      description: 'WebSocket URL (…/api/v1/ws; testnet: …/testnet/api/v1/ws).',
    }),
    seenCapacity: Type.Integer({
      minimum: 100,
      maximum: 10_000_000,
      default: 10_000,
      description: 'Txids remembered so a transaction sent again (after a reconnect) is emitted once.',
    }),
    pingAfter: Duration({ default: '30s', description: 'Silence after which the server is pinged.' }),
    pongTimeout: Duration({
      default: '5s',
      description: 'Wait for an answer to a ping before reconnecting.',
    }),
    backoffMin: Duration({
      default: '1s',
      description: 'First reconnect delay (doubles each failure, with jitter).',
    }),
    backoffMax: Duration({ default: '60s', description: 'Longest reconnect delay.' }),
    unhealthyAfter: Duration({
      default: '2m',
      description:
        'Not connected for this long (since the start or since the connection was lost): the instance is unhealthy (/health answers 503) and an ERROR is logged, again each time the outage doubles (at most hourly).',
    }),
    maxFrameBytes: Type.Integer({
      minimum: 1024,
      default: 64 * 2 ** 20,
      description:
        'Largest frame accepted; larger ones are refused and counted (over twice this, the connection is re-made).',
    }),
    trackRbf: Type.Boolean({ default: true, description: 'Subscribe to RBF trees (track-rbf).' }),
    recoverBlocks: Type.Integer({
      minimum: 0,
      maximum: 8,
      default: 8,
      description: 'Projected blocks scanned for missed transactions after a reconnect.',
    }),
    recoverMinBtc: Type.Number({
      minimum: 0,
      default: 10,
      description: 'Recovered transactions below this value are not emitted.',
    }),
    trackMinBtc: Type.Number({
      minimum: 0,
      default: 100,
      description:
        'Pending transactions of at least this value are followed live (track-txs, the 100 most valuable): tx.position is emitted as their projected position changes.',
    }),
  }),
  emits: [
    'tx.seen',
    'tx.replaced',
    'tx.removed',
    'tx.position',
    'block.connected',
    'mempool.stats',
    'input.status',
  ],
  setup(ctx) {
    const o = ctx.options;
    const { rejected, skipped } = inputCounters(ctx);
    const frames = counter(ctx.metrics, 'spout_input_frames_total', 'Frames received by an input.', [
      'instance',
    ]);
    const reconnects = counter(ctx.metrics, 'spout_input_reconnects_total', 'Reconnections of an input.', [
      'instance',
    ]);
    const connectFailures = counter(
      ctx.metrics,
      'spout_input_connect_failures_total',
      'Failed attempts of an input to connect, by reason (dns, refused, unreachable, tls, http_<status>, timeout, closed, other).',
      ['instance', 'reason'],
    );
    const rejections = createRejections(ctx.log, rejected, ctx.instance);
    const url = displayUrl(o.url);
    const outages = createOutages({
      url,
      unhealthyAfterMs: parseDuration(o.unhealthyAfter),
      log: ctx.log,
      unhealthy: (reason) => ctx.health.set('unhealthy', reason),
    });
    const now = Date.now;
    const tip = createTipGuard(now);
    let state: InputState | null = null;
    const trackMinSats = Math.round(o.trackMinBtc * 1e8);
    const tracking = createTracking({
      minSats: trackMinSats,
      send: (m) => connection.send(m),
    });
    let trackErrorLogged = false;

    const shedding = createShedding(
      ctx,
      o.seenCapacity,
      (seen) => (sink.seen = seen),
      () => sink.seen,
    );
    const sink: FrameSink = {
      // Live tracking follows transactions from trackMinBtc up: those must still be read.
      interestFloor() {
        const floor = ctx.memory.interestFloorSats();
        return floor === null ? null : Math.min(floor, trackMinSats);
      },
      skipped: (n) => skipped.inc({ instance: ctx.instance }, n),
      emit(type, data) {
        if (type === 'tx.seen' && shedding.drops(data as TxSeen)) return;
        ctx.bus.publish(type, data);
        tracking.published(type, data);
      },
      untrack: (txid) => tracking.untrack(txid),
      onTrackError(why) {
        // The server closes the connection after it; the reconnect subscribes again (≤ 100 txids).
        if (trackErrorLogged) return;
        trackErrorLogged = true;
        ctx.log.warn({ why }, `the server refused to track transactions (track-txs-error): ${why}`);
      },
      reject: rejections.reject,
      now,
      seen: createLru<string, boolean>(o.seenCapacity),
      stats: { projectedBlocks: null, fees: null, mempoolVsize: null, usdPrice: null },
      tip,
      onProjectedBlock: (index, txs) => recovery.onProjectedBlock(index, txs),
      onRecentBlocks(heights) {
        // Heights are validated and plausible from the tip (validate.ts): the gap is bounded.
        const newest = heights[heights.length - 1];
        const known = tip.height();
        if (known !== null && newest !== undefined && newest > known) {
          ctx.log.warn(
            { from: known + 1, to: newest },
            `missed ${newest - known} block(s) while disconnected; their confirmations are not reported`,
          );
        }
      },
    };
    const minSats = Math.round(o.recoverMinBtc * 1e8);
    const recovery = createRecovery({
      blocks: o.recoverBlocks,
      send: (m) => connection.send(m),
      found(txs) {
        let emitted = 0;
        for (const tx of txs) {
          if (tx.valueSats < minSats || sink.seen.has(tx.txid)) continue;
          sink.seen.set(tx.txid, tx.rbfSignaling);
          sink.emit('tx.seen', tx);
          emitted++;
        }
        return emitted;
      },
      done: (emitted, scanned) =>
        ctx.log.info(
          { emitted, scanned },
          `gap recovery: ${emitted} missed transaction(s) found in ${scanned} projected block(s)`,
        ),
    });

    const connection = createConnection({
      url: o.url,
      pingAfterMs: parseDuration(o.pingAfter),
      pongTimeoutMs: parseDuration(o.pongTimeout),
      minBackoffMs: parseDuration(o.backoffMin),
      maxBackoffMs: parseDuration(o.backoffMax),
      // Frames up to twice the limit are read, refused and counted while the connection stays;
      // only larger ones make ws close it (1009), which is counted as oversize too.
      maxPayload: o.maxFrameBytes * 2,
      beforeFrame: createFrameRoom(),
      onClose(code) {
        if (code === 1009)
          rejections.reject('oversize', `a frame over ${o.maxFrameBytes * 2} bytes closed the connection`);
      },
      onConnectFailure(failure) {
        connectFailures.inc({ instance: ctx.instance, reason: failure.reason });
        outages.failed(failure);
      },
      onLost: (cause, retryInMs) => outages.lost(cause, retryInMs),
      subscriptions: () => [
        { action: 'init' },
        {
          action: 'want',
          data: ['blocks', 'stats', 'mempool-blocks'],
          'track-mempool': true,
          ...(o.trackRbf ? { 'track-rbf': 'all' } : {}),
        },
        ...[tracking.subscription()].filter((m) => m !== null),
      ],
      onFrame(text) {
        frames.inc({ instance: ctx.instance });
        handleFrame(text, o.maxFrameBytes, sink);
      },
      onOpen(opens) {
        outages.connected(opens);
        if (opens > 1) reconnects.inc({ instance: ctx.instance });
        // A new leader's first connection is a reconnect of the deployment: the same gap.
        if (opens > 1 || ctx.resumed) {
          if (shedding.critical())
            ctx.log.warn('memory critical: gap recovery after this reconnection is skipped');
          else recovery.start();
        }
      },
      onState(next, reason) {
        const down = outages.current();
        if (down) ctx.health.set(down.unhealthy ? 'unhealthy' : 'degraded', outages.describe(down));
        else ctx.health.set(HEALTH[next], reason);
        if (next === state) return;
        state = next;
        ctx.bus.publish('input.status', reason ? { state: next, reason } : { state: next });
        // The event is the record of each change (the console output prints it); the log says
        // what it does not: the URL and the cause of failures (outages), and the recovery.
        ctx.log.debug({ state: next, reason }, `${next}${reason ? `: ${reason}` : ''}`);
      },
    });
    ctx.onStop(() => {
      outages.stop();
      return connection.stop();
    });
    ctx.onStop(() => recovery.stop());
    // A gap recovery under way is optional work: shed under critical pressure.
    ctx.memory.onChange((level) => level === 'critical' && recovery.stop());
    ctx.onStop(() => tracking.stop());
    return {
      start() {
        outages.begin('input started');
        connection.start();
      },
    };
  },
});
