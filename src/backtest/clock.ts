import { Type } from '@sinclair/typebox';
import { defineDetector } from '../plugin/define.js';
import type { DetectorDefinition } from '../plugin/types.js';
import { RECORDED_TYPES } from './format.js';

/** The `use:` name of the clock detector in a backtest's configuration. */
export const CLOCK_PLUGIN = 'backtest-clock';

/**
 * The recording's clock during a replay, handed to the kernel as its clock (`now`), which gives
 * it to plugins as `ctx.now()` and stamps envelopes with it: the whale's `detectedAt`, the age of
 * the mempool stats the urgency detector uses and the correlation's `dropAfter` are on the
 * recording's time. The clock's detector, first in the chain, moves it as each event reaches the
 * chain (in publication order, before the other detectors see the event). Before the first event
 * it reads null (the kernel then falls back to the wall clock). Nothing global is touched: several
 * replays may run in one process.
 */
export interface ReplayClock {
  /** Remember the recorded time (epoch ms) of an event by its payload object, before publishing it. */
  stamp(data: object, ms: number): void;
  /** The detector that moves the clock; must be the first detector of the configuration. */
  readonly detector: DetectorDefinition;
  /** The time of the event the chain handled last; null before the first. */
  now(): number | null;
}

export function createReplayClock(): ReplayClock {
  const times = new WeakMap<object, number>();
  let current: number | null = null;
  const move = (data: object) => {
    const at = times.get(data);
    if (at !== undefined) current = at;
  };
  const clock: ReplayClock = {
    stamp: (data, ms) => void times.set(data, ms),
    detector: defineDetector({
      name: CLOCK_PLUGIN,
      description: 'Moves the replay clock to the time of each recorded event (spout backtest).',
      options: Type.Object({}),
      consumes: [...RECORDED_TYPES],
      admits: false,
      setup: () => ({
        // Never a whale: it only reads the time before the detectors after it are asked.
        admit(tx) {
          move(tx);
          return null;
        },
        observe: (envelope) => move(envelope.data),
      }),
    }) as unknown as DetectorDefinition,
    now: () => current,
  };
  return clock;
}
