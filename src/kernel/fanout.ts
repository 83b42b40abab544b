import { createBus, type Bus, type BusOptions } from '../bus/bus.js';
import type { AnyEnvelope } from '../bus/envelope.js';
import type { EventType } from '../bus/events.js';
import type { JobDefinition, OutputDefinition, PluginDefinition } from '../plugin/types.js';
import type { Runtime } from './instance.js';
import type { SlotHistory } from './output-slot.js';
import { eventMatcher } from './routing.js';

/** Envelopes kept per `everyInstance` output for resuming clients (embedded engine), and their bytes at most. */
const HISTORY = 1_000;
const HISTORY_BYTES = 4 * 2 ** 20;

/**
 * The deployment's event stream as a kernel sees it (`engine: redis`, see src/engine/stream.ts):
 * `subscribe` feeds this process's `everyInstance` outputs; `publish` (the leader only) takes
 * what the pipeline publishes for them.
 */
export interface EventFanout {
  publish?: (envelope: AnyEnvelope) => void;
  subscribe(deliver: (envelope: AnyEnvelope) => void): () => Promise<void>;
  since(eventId: string): Promise<AnyEnvelope[] | null>;
}

/** An output or job marked `everyInstance`: it serves this process's own clients. */
export const servesEveryInstance = (plugin: PluginDefinition | null | undefined): boolean =>
  (plugin?.kind === 'output' || plugin?.kind === 'job') &&
  (plugin as OutputDefinition | JobDefinition).everyInstance === true;

/** Whether an output's deliveries are shared work of a deployment (`sharedWork`: webhook, e-mail). */
export const sharesWork = (plugin: PluginDefinition | null | undefined): boolean =>
  plugin?.kind === 'output' && (plugin as OutputDefinition).sharedWork === true;

/** Whether a follower of a deployment runs the plugin: it serves every instance or shares work. */
export const runsOnFollowers = (plugin: PluginDefinition | null | undefined): boolean =>
  servesEveryInstance(plugin) || sharesWork(plugin);

/**
 * Where `everyInstance` outputs take their events from. Embedded: the kernel's bus, each keeping
 * the last {@link HISTORY} envelopes for `ctx.history`. With a fan-out: a bus of their own fed
 * from the stream (so the leader's outputs see what every follower's see, once), and the main
 * bus's envelopes of the types they route are published to the stream.
 */
export function createFanoutWiring(bus: Bus, fanout: EventFanout | undefined, busOptions: BusOptions) {
  const fanBus = fanout ? createBus(busOptions) : bus;
  let published: (type: EventType) => boolean = () => false;
  let unsubscribe: (() => Promise<void>) | null = null;
  if (fanout?.publish) {
    const publish = fanout.publish;
    bus.tap((envelope) => published(envelope.type) && publish(envelope));
  }
  return {
    busFor: (plugin: PluginDefinition | null | undefined): Bus =>
      servesEveryInstance(plugin) ? fanBus : bus,
    historyFor: (plugin: PluginDefinition | null | undefined): SlotHistory =>
      !servesEveryInstance(plugin) || plugin?.kind !== 'output'
        ? {}
        : fanout
          ? { since: (id) => fanout.since(id) }
          : { keep: HISTORY, keepBytes: HISTORY_BYTES },
    /**
     * The types the leader publishes: what its `everyInstance` outputs route and its
     * `everyInstance` jobs consume (after boot and each reload).
     */
    routed(runtimes: Iterable<Runtime>) {
      const matchers = [...runtimes]
        .filter((r) => servesEveryInstance(r.plugin))
        .map((r) =>
          r.plugin.kind === 'job'
            ? eventMatcher([...(r.plugin.consumes ?? [])])
            : eventMatcher(r.config.events ?? (r.plugin as OutputDefinition).defaultEvents),
        );
      published = (type) => matchers.some((m) => m(type));
    },
    /** The bus `everyInstance` outputs take their events from (the kernel's in one process). */
    bus: fanBus,
    start() {
      if (fanout && !unsubscribe) unsubscribe = fanout.subscribe((e) => fanBus.publishEnvelope(e));
    },
    async stop() {
      await unsubscribe?.();
      unsubscribe = null;
    },
  };
}
