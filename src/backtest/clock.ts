import { Type } from '@sinclair/typebox';
import { defineDetector } from '../plugin/define.js';
import type { DetectorDefinition } from '../plugin/types.js';
import { RECORDED_TYPES } from './format.js';

/** The `use:` name of the clock detector in a backtest's configuration. */
export const CLOCK_PLUGIN = 'backtest-clock';

/**
 * The recording's clock during a replay. The detectors and the correlation job read the time with
 * `Date.now()` (the whale's `detectedAt`, the age of the mempool stats the urgency detector uses,
 * the correlation's `dropAfter`), and the kernel has no clock to hand them. So while a replay
 * runs, `Date.now()` answers the time of the recorded event the detector chain is handling: the
 * clock's detector, first in the chain, moves it as each event reaches the chain (in publication
 * order, before the other detectors see the event). Until the first event, and after
 * {@link ReplayClock.restore}, `Date.now()` is the real clock again. `new Date()` without
 * arguments is left alone (it stamps envelopes the report does not read).
 *
 * One replay at a time per process: installing a second clock while one is installed throws.
 */
export interface ReplayClock {
  /** Remember the recorded time (epoch ms) of an event by its payload object, before publishing it. */
  stamp(data: object, ms: number): void;
  /** The detector that moves the clock; must be the first detector of the configuration. */
  readonly detector: DetectorDefinition;
  /** The time of the event the chain handled last; null before the first. */
  now(): number | null;
  /** Make `Date.now()` read this clock. */
  install(): void;
  /** Give `Date.now()` back to the real clock. Safe to call twice. */
  restore(): void;
}

let installed: ReplayClock | null = null;

export function createReplayClock(): ReplayClock {
  const times = new WeakMap<object, number>();
  let current: number | null = null;
  const realNow = Date.now;
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
    install() {
      if (installed) throw new Error('a replay clock is already installed in this process');
      installed = clock;
      Date.now = () => current ?? realNow();
    },
    restore() {
      if (installed !== clock) return;
      installed = null;
      Date.now = realNow;
    },
  };
  return clock;
}
