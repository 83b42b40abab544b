import type { Bus } from '../bus/bus.js';
import type { EventType } from '../bus/events.js';
import type { OutputDefinition, OutputHooks } from '../plugin/types.js';
import { createGate } from './gate.js';
import type { Runtime } from './instance.js';
import { createFilter, eventMatcher } from './routing.js';

/**
 * The kernel's subscription for one output instance. Routing (`events:` or the plugin's
 * default, then `filter:`) is applied here, once, so outputs never re-implement it. The slot
 * outlives a restart of its instance: while paused, envelopes wait in the bus queue, in order,
 * and the new instance receives them.
 */
export interface OutputSlot {
  /** Route to `runtime` (with its config's routing) and let waiting envelopes through. */
  attach(runtime: Runtime | null): void;
  /** Hold new deliveries; resolves when the one in progress (if any) has finished. */
  pause(): Promise<void>;
  /** Remove the subscription. */
  close(): Promise<void>;
}

export function createOutputSlot(name: string, bus: Bus): OutputSlot {
  const gate = createGate();
  let runtime: Runtime | null = null;
  let matches: (type: EventType) => boolean = () => false;
  let passes = createFilter(null);
  let inflight: Promise<unknown> | null = null;

  const off = bus.subscribe(
    name,
    (type) => matches(type),
    async (envelope) => {
      await gate.wait();
      if (!runtime || !passes(envelope)) return;
      const delivery = Promise.resolve((runtime.hooks as OutputHooks).deliver(envelope));
      inflight = delivery.catch(() => {});
      try {
        await delivery;
      } finally {
        inflight = null;
      }
    },
  );

  return {
    attach(next) {
      runtime = next;
      if (next) {
        const plugin = next.plugin as OutputDefinition;
        matches = eventMatcher(next.config.events ?? plugin.defaultEvents);
        passes = createFilter(next.config.filter);
      }
      gate.open();
    },
    async pause() {
      gate.close();
      await inflight;
    },
    close() {
      gate.open();
      runtime = null;
      return off();
    },
  };
}
