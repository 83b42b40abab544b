import type { Bus } from '../bus/bus.js';
import type { AnyEnvelope } from '../bus/envelope.js';
import type { EventType } from '../bus/events.js';
import type { EventPattern, OutputDefinition, OutputHooks } from '../plugin/types.js';
import { createGate } from './gate.js';
import type { Runtime } from './instance.js';
import { createFilter, eventMatcher } from './routing.js';

/**
 * The kernel's subscription for one output instance. Routing (`events:` or the plugin's
 * default, then `filter:`) is applied here, once, so outputs never re-implement it. The slot
 * outlives a restart of its instance: while paused, envelopes wait in the bus queue, in order,
 * and the new instance receives them. A replacement that fails to start leaves the slot paused:
 * its events wait (within the bus queue limit, overflow counted) for a reload that works.
 */
export interface OutputSlot {
  /** Route to `runtime` (with its config's routing) and let waiting envelopes through. */
  attach(runtime: Runtime): void;
  /**
   * Hold new deliveries; resolves when the one in progress (if any) has finished. `upcoming`,
   * the routing of the instance that will take over, widens what is queued meanwhile.
   */
  pause(upcoming?: readonly EventPattern[]): Promise<void>;
  /** Remove the subscription. */
  close(): Promise<void>;
  /**
   * What was routed to the instance after `eventId` (see `ctx.history`): from `history.since`
   * when given (the deployment's stream), else from the last `history.keep` envelopes delivered
   * here; null when unknown or too old, or when the slot keeps no history.
   */
  since(eventId: string): Promise<AnyEnvelope[] | null>;
}

/**
 * How a slot answers `since`: its own ring of what it delivered (at most `keep` envelopes and
 * about `keepBytes` of their JSON), or another source.
 */
export interface SlotHistory {
  keep?: number;
  keepBytes?: number;
  since?: (eventId: string) => Promise<AnyEnvelope[] | null>;
}

/**
 * `onFailure` hears each `deliver` that throws or rejects (the slot then goes on with the next
 * envelope), so a delivery failure is told apart from a failure of the output's own subscriptions.
 */
export function createOutputSlot(
  name: string,
  bus: Bus,
  onFailure: (envelope: AnyEnvelope, error: unknown) => void,
  history: SlotHistory = {},
): OutputSlot {
  const ring: Array<[AnyEnvelope, number]> = [];
  const keep = history.since ? 0 : (history.keep ?? 0);
  const keepBytes = history.keepBytes ?? Infinity;
  let ringBytes = 0;
  const remember = (envelope: AnyEnvelope) => {
    const size = JSON.stringify(envelope).length;
    ring.push([envelope, size]);
    ringBytes += size;
    while (ring.length > keep || ringBytes > keepBytes) ringBytes -= ring.shift()![1];
  };
  const gate = createGate();
  let runtime: Runtime | null = null;
  // What the attached instance takes, and what is queued (wider while a swap is under way).
  let routes: (type: EventType) => boolean = () => false;
  let queues: (type: EventType) => boolean = () => false;
  let passes = createFilter(null);
  let inflight: Promise<unknown> | null = null;

  const off = bus.subscribe(
    name,
    (type) => queues(type),
    async (envelope) => {
      await gate.wait();
      if (!runtime || !routes(envelope.type) || !passes(envelope)) return;
      if (keep > 0) remember(envelope);
      let delivery: Promise<unknown>;
      try {
        delivery = Promise.resolve((runtime.hooks as OutputHooks).deliver(envelope));
      } catch (error) {
        delivery = Promise.reject(error);
      }
      inflight = delivery.catch(() => {});
      try {
        await delivery;
      } catch (error) {
        onFailure(envelope, error);
      } finally {
        inflight = null;
      }
    },
  );

  return {
    attach(next) {
      runtime = next;
      const plugin = next.plugin as OutputDefinition;
      routes = eventMatcher(next.config.events ?? plugin.defaultEvents);
      queues = routes;
      passes = createFilter(next.config.filter);
      gate.open();
    },
    async pause(upcoming) {
      gate.close();
      if (upcoming) {
        const current = queues;
        const next = eventMatcher(upcoming);
        queues = (type) => current(type) || next(type);
      }
      await inflight;
    },
    close() {
      gate.open();
      runtime = null;
      return off();
    },
    async since(eventId) {
      if (history.since) {
        const found = await history.since(eventId);
        return found && found.filter((e) => routes(e.type) && passes(e));
      }
      const at = ring.findIndex(([e]) => e.id === eventId);
      return at < 0 ? null : ring.slice(at + 1).map(([e]) => e);
    },
  };
}
