import { counter, defineInput } from '../../../src/index.js';
import { createShedding } from '../mempool/shedding.js';
import { inputCounters } from '../shared/metrics.js';
import { createChain } from './chain.js';
import { createFees } from './fees.js';
import { createIntake } from './intake.js';
import { BitcoindOptions, resolveBitcoind } from './options.js';
import { blockHashOf, NETWORKS } from './parse.js';
import { createPrice } from './price.js';
import { createRemovals } from './removals.js';
import { createRpc, displayRpcUrl } from './rpc.js';
import { createNodeState } from './state.js';
import { createStatus } from './status.js';
import { createSync } from './sync.js';
import { createLoop } from './loop.js';
import { createZmqFeed } from './zmq.js';
import { zmqProblems } from './notifications.js';

/** A removal waits this long for the replacement Core announces right after it. */
const REMOVAL_GRACE_MS = 1_000;
/** How long the ZMQ connection may take before the status says it is missing. */
const ZMQ_PATIENCE_MS = 10_000;

/**
 * `bitcoind`: one's own Bitcoin Core node, over ZMQ (`rawtx`, `sequence`, `rawblock` or
 * `hashblock`) and JSON-RPC. Publishes what the `mempool` input does — `tx.seen`, `tx.replaced`,
 * `tx.removed`, `block.connected`, `mempool.stats` with projected blocks Spout builds itself, and
 * `input.status` — plus `block.disconnected` on a reorg. A lost notification (a sequence gap), a
 * reconnection or an RPC outage makes it line up with the node again, announcing what it missed.
 * See docs/inputs.md.
 */
export default defineInput({
  name: 'bitcoind',
  description: 'Live transactions and blocks from your own Bitcoin Core node (ZMQ + JSON-RPC).',
  options: BitcoindOptions,
  resolve: resolveBitcoind,
  emits: [
    'tx.seen',
    'tx.replaced',
    'tx.removed',
    'block.connected',
    'block.disconnected',
    'mempool.stats',
    'input.status',
  ],
  setup(ctx) {
    const o = ctx.options;
    const { rejected, skipped } = inputCounters(ctx);
    const resyncs = counter(
      ctx.metrics,
      'spout_input_resyncs_total',
      'Times an input lined up with its node again, by cause.',
      ['instance', 'cause'],
    );
    let rejectLogged = false;
    const reject = (why: string) => {
      rejected.inc({ instance: ctx.instance, reason: 'malformed' });
      if (!rejectLogged)
        ctx.log.warn({ why }, `refused what bitcoind sent: ${why} (further refusals are counted only)`);
      rejectLogged = true;
    };
    const rpc = createRpc({ url: o.rpcUrl, auth: o.auth, timeoutMs: o.rpcTimeoutMs });
    const price = createPrice(o.price, ctx.log);
    const shedding = createShedding(
      ctx,
      o.seenCapacity,
      (seen) => (state.seen = seen),
      () => state.seen,
    );
    const state = createNodeState({
      rpc,
      network: NETWORKS[o.network]!,
      seenCapacity: o.seenCapacity,
      projectedBlocks: o.projectedBlocks,
      publish(type, data) {
        if (stopped) return;
        ctx.bus.publish(type, data);
        // A block changes Core's fee estimates; the stats after it carry the new ones.
        if (type === 'block.connected') void fees.refresh();
      },
      announce(tx) {
        if (stopped) return;
        state.seen.set(tx.txid, tx.rbfSignaling);
        const floor = ctx.memory.interestFloorSats();
        if (floor !== null && tx.valueSats <= floor) return void skipped.inc({ instance: ctx.instance });
        if (!shedding.drops(tx)) ctx.bus.publish('tx.seen', tx);
      },
    });

    const status = createStatus({
      rpcUrl: displayRpcUrl(o.rpcUrl),
      unhealthyAfterMs: o.unhealthyAfterMs,
      publish: (s) => ctx.bus.publish('input.status', s),
      health: ctx.health,
      log: ctx.log,
    });
    const rpcFailed = (error: Error) => {
      status.rpc(false, error.message);
      loop.resync('rpc');
    };
    // The smallest whale threshold a detector declared: only whales are worth a UTXO lookup.
    const prevoutFloor = () => ctx.memory.floorSats();
    const intake = createIntake({ state, reject, rpcFailed, prevoutFloor });
    const chain = createChain({ state, log: ctx.log, reject, rpcFailed });
    const fees = createFees(rpc);
    const removals = createRemovals({
      state,
      settled: async () => {
        await intake.idle();
        await chain.idle();
      },
      spentByBlock: chain.spentByBlock,
      minFeeRate: fees.minFeeRate,
      graceMs: REMOVAL_GRACE_MS,
      sequenceCount: () => sequenceSeen,
    });
    const sync = createSync({
      state,
      chain,
      intake,
      network: o.network,
      maxTxs: o.startupMaxTxs,
      recoverMinSats: o.recoverMinSats,
      log: ctx.log,
      stopped: () => stopped,
      prevoutFloor,
      async beforeAnnounce() {
        await Promise.all([firstPrice, fees.refresh()]);
        loaded = true;
        publishStats();
      },
    });
    let loaded = false;
    let linedUp = false;
    let firstPrice: Promise<void> = Promise.resolve();
    const loop = createLoop({
      rpc,
      sync,
      status,
      heartbeatMs: o.heartbeatMs,
      backoffMinMs: o.backoffMinMs,
      backoffMaxMs: o.backoffMaxMs,
      log: ctx.log,
      synced(cause, r) {
        resyncs.inc({ instance: ctx.instance, cause });
        const first = !linedUp;
        linedUp = true;
        if (first)
          void zmqProblems(rpc, o.zmq).then((problems) => {
            for (const p of problems) ctx.log.error({}, p);
            if (problems.length > 0) status.zmq(false, problems.join('; '));
          });
        ctx.log.info(
          { cause, ...r },
          first
            ? `loaded ${r.fetched} mempool transaction(s) from bitcoind; ${r.announced} already waiting from ${o.recoverMinSats / 1e8} BTC up announced, most valuable first`
            : `lined up with bitcoind (${cause}): ${r.fetched} missed transaction(s) taken in, ${r.left} gone`,
        );
      },
    });

    const publishStats = () => {
      if (!loaded || !state.dirty) return;
      state.dirty = false;
      const built = state.template.build();
      ctx.bus.publish('mempool.stats', {
        projectedBlocks: built.blocks,
        recommendedFees: fees.recommended(built.blocks),
        mempoolVsize: state.template.vsize,
        usdPrice: price.current(),
      });
    };

    let gapLogged = 0;
    let sequenceSeen = 0;
    let stopped = false;
    const feed = createZmqFeed({
      endpoints: o.zmq,
      heartbeatMs: o.heartbeatMs,
      reconnectMinMs: o.backoffMinMs,
      reconnectMaxMs: o.backoffMaxMs,
      onMessage(topic, body) {
        if (topic === 'rawtx') intake.rawtx(body);
        else if (topic === 'rawblock') {
          if (body.length >= 80) chain.connected(blockHashOf(body), body);
          else reject(`a rawblock of ${body.length} bytes`);
        } else if (topic === 'hashblock') {
          if (body.length === 32) chain.connected(Buffer.from(body).toString('hex'));
          else reject(`a hashblock of ${body.length} bytes`);
        } else onSequence(body);
      },
      onGap(topic, why) {
        // At most one warning a minute: a node under a flood may drop many.
        if (Date.now() - gapLogged > 60_000) {
          ctx.log.warn({ topic }, `${why}; lining up with bitcoind again`);
          gapLogged = Date.now();
        }
        loop.resync('gap');
      },
      onMalformed: reject,
      onConnection(endpoint, up) {
        status.zmq(feed.connected(), up ? undefined : `no connection to ${endpoint}`);
        // Notifications sent before this connection (or while it was down) were not received.
        if (up) loop.resync('zmq');
      },
    });

    const onSequence = (body: Uint8Array) => {
      const label = String.fromCharCode(body[32] ?? 0);
      const wantsSeq = label === 'A' || label === 'R';
      if (body.length !== (wantsSeq ? 41 : 33) || !'CDAR'.includes(label))
        return reject(`a sequence notification of ${body.length} bytes (label ${JSON.stringify(label)})`);
      const hash = Buffer.from(body.subarray(0, 32)).toString('hex');
      sequenceSeen++;
      if (label === 'C') chain.connected(hash);
      else if (label === 'D') chain.disconnected(hash);
      else if (label === 'A') state.removed.delete(hash);
      else {
        state.removed.set(hash, true);
        const seq = Number(Buffer.from(body).readBigUInt64LE(33));
        // Already reflected in the last snapshot (it was taken after this removal).
        if (seq >= state.snapshotSequence) removals.removed(hash);
      }
    };

    let statsTimer: NodeJS.Timeout | undefined;
    let zmqTimer: NodeJS.Timeout | undefined;
    ctx.onStop(() => {
      stopped = true;
      clearTimeout(zmqTimer);
      loop.stop();
      feed.stop();
      removals.stop();
      status.stop();
      price.stop();
      clearInterval(statsTimer);
    });
    return {
      start() {
        ctx.bus.publish('input.status', { state: 'connecting' });
        firstPrice = price.start();
        feed.start();
        loop.start();
        // ZMQ says nothing while it cannot connect: say it, once the node had time to answer.
        zmqTimer = setTimeout(() => {
          if (!feed.connected())
            status.zmq(
              false,
              `no connection to ${[...new Set(Object.values(o.zmq))].join(', ')} yet: check the zmqpub… lines in bitcoin.conf and that this host can reach them`,
            );
        }, ZMQ_PATIENCE_MS);
        statsTimer = setInterval(publishStats, o.statsEveryMs);
        statsTimer.unref();
      },
    };
  },
});
