import { randomInt } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { defineInput, type PluginContext } from '../../../src/index.js';
import {
  createSimulation,
  resolveSimulationOptions,
  SIMULATED_EVENT_TYPES,
  SIMULATION_DEFAULTS as D,
  type Simulation,
  type SimulationOptions,
} from './simulation.js';

/** Most events published in one turn of the event loop before yielding (setImmediate). */
const MAX_EVENTS_PER_TURN = 2_000;
/** setTimeout's longest delay; a later event is reached in several waits. */
const MAX_TIMER_MS = 2_147_483_647;
/** Wait before trying again after a failure (logged, never thrown out of a timer). */
const RETRY_MS = 1_000;

const Options = Type.Object({
  seed: Type.Optional(
    Type.Integer({
      description:
        'Seed of the random generator: the same seed and options give the same events (and times, with the same startTime). Default: a new seed at each start, logged.',
    }),
  ),
  txPerSecond: Type.Number({
    exclusiveMinimum: 0,
    default: D.txPerSecond,
    description: 'Mean transaction arrival rate, in simulated transactions per second (Poisson).',
  }),
  whalesPerHour: Type.Number({
    minimum: 0,
    default: D.whalesPerHour,
    description: 'Mean number of whales (value > whaleBtc) per simulated hour.',
  }),
  whaleBtc: Type.Number({
    minimum: 0.001,
    default: D.whaleBtc,
    description: 'Whale threshold in BTC: whales have a total output value strictly above it.',
  }),
  blockIntervalSeconds: Type.Number({
    exclusiveMinimum: 0,
    default: D.blockIntervalSeconds,
    description: 'Mean time between blocks, in simulated seconds (exponential intervals).',
  }),
  rbfShare: Type.Number({
    minimum: 0,
    maximum: 1,
    default: D.rbfShare,
    description: 'Share of transactions that signal RBF (BIP 125); 30 % of those get replaced.',
  }),
  speed: Type.Number({
    exclusiveMinimum: 0,
    default: 1,
    description:
      'Simulated seconds per real second: 60 plays one simulated minute each second (event times are simulated).',
  }),
  statsIntervalSeconds: Type.Number({
    minimum: 1,
    default: D.statsIntervalSeconds,
    description: 'Simulated seconds between mempool.stats events (one also follows every block).',
  }),
  startHeight: Type.Integer({
    minimum: 0,
    default: D.startHeight,
    description: 'Height of the first simulated block.',
  }),
  usdPrice: Type.Number({
    exclusiveMinimum: 0,
    default: D.usdPrice,
    description: 'BTC price in USD around which the reported price wanders.',
  }),
  maxMempoolTx: Type.Integer({
    minimum: 1,
    default: D.maxMempoolTx,
    description: 'Most transactions kept; beyond it the lowest fee rates are evicted (tx.removed).',
  }),
  startTime: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'Simulated time zero (ISO 8601); default: when the input starts.',
    }),
  ),
});

type Ctx = PluginContext<Static<typeof Options>>;

/** Largest seed drawn when none is configured (any integer is a valid `seed`). */
const MAX_DRAWN_SEED = 2 ** 31 - 1;

/**
 * `simulator`: seeded, realistic mempool traffic for running Spout fully offline (demo, tests,
 * benchmarks). It publishes exactly the events of the live mempool input, paced in real time:
 * an event at simulated time `at` is published `at / speed` after the input started; the times
 * in the events (`firstSeen`, block `time`) are simulated ones, `startTime + at`. With a fixed
 * `seed` and `startTime`, every run publishes the same events. Without a `seed`, each start
 * draws a new one and logs it, so a restart does not replay the same txids (which outboxes
 * would skip as already delivered) and a run can still be repeated with `seed: N`.
 */
export default defineInput({
  name: 'simulator',
  description:
    'Simulated mempool traffic, offline and seeded: Poisson arrivals, whales, fee rates, RBF, blocks.',
  options: Options,
  emits: SIMULATED_EVENT_TYPES,
  setup(ctx) {
    // Report bad options at boot rather than at the first timer.
    resolveSimulationOptions(simulationOptions(ctx, new Date()));
    return { start: () => run(ctx) };
  },
});

/** Draw the seed, log it and play the simulation, on a clock that starts now. */
function run(ctx: Ctx): void {
  const options = simulationOptions(ctx, new Date());
  const speed = ctx.options.speed ?? 1;
  const seed = options.seed ?? randomInt(1, MAX_DRAWN_SEED);
  const origin =
    options.seed === undefined
      ? `drawn for this run; set "seed: ${seed}" to repeat its transactions`
      : 'from the configuration';
  ctx.log.info(
    { seed, startTime: options.startTime, speed },
    `simulator seed ${seed} (${origin}); simulated clock from ${options.startTime}, ${speed}× real time`,
  );
  const simulation = createSimulation({ ...options, seed });
  ctx.health.set('healthy');
  pace(ctx, simulation, speed);
}

function simulationOptions(ctx: Ctx, now: Date): Partial<SimulationOptions> {
  const { speed: _speed, ...options } = ctx.options;
  return { ...options, startTime: options.startTime ?? now.toISOString() };
}

/**
 * Publish the simulation's events in real time: everything due now, then one timer for the
 * next event; at most {@link MAX_EVENTS_PER_TURN} per turn, so a high speed cannot starve the
 * event loop. Stops when the instance's signal aborts.
 */
function pace(ctx: Ctx, simulation: Simulation, speed: number): void {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let failing = false;

  const halt = () => {
    clearTimeout(timer);
    clearImmediate(immediate);
    timer = immediate = undefined;
  };
  ctx.signal.addEventListener('abort', halt, { once: true });
  ctx.onStop(halt);

  const pump = () => {
    timer = immediate = undefined;
    if (ctx.signal.aborted) return;
    try {
      const due = (performance.now() - started) * speed;
      for (let n = 0; simulation.peek().at <= due; n++) {
        if (n === MAX_EVENTS_PER_TURN) {
          immediate = setImmediate(pump);
          return;
        }
        const event = simulation.next();
        ctx.bus.publish(event.type, event.data);
      }
      if (failing) ctx.health.set('healthy');
      failing = false;
      const wait = simulation.peek().at / speed - (performance.now() - started);
      timer = setTimeout(pump, Math.min(MAX_TIMER_MS, Math.max(0, wait)));
    } catch (error) {
      failing = true;
      const message = error instanceof Error ? error.message : String(error);
      ctx.log.error({ err: error }, `simulator failed, retrying in ${RETRY_MS} ms: ${message}`);
      ctx.health.set('degraded', `simulation failed: ${message}`);
      timer = setTimeout(pump, RETRY_MS);
    }
  };
  pump();
}
