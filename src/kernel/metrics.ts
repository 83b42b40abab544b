import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Bus } from '../bus/bus.js';

/** The kernel's own metrics. */
export interface KernelMetrics {
  registry: Registry;
  published: Counter<'type'>;
  failures: Counter<'instance' | 'event'>;
  overflow: Counter<'subscriber'>;
}

/** Create a registry (one per kernel, never the global one) with the kernel's metrics. */
export function createKernelMetrics(bus: () => Bus, registry = new Registry()): KernelMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'spout_' });
  const published = new Counter({
    name: 'spout_events_total',
    help: 'Events published, by type.',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'spout_handler_failures_total',
    help: 'Handler, detector and output failures, by instance and event type.',
    labelNames: ['instance', 'event'] as const,
    registers: [registry],
  });
  const overflow = new Counter({
    name: 'spout_bus_overflow_total',
    help: 'Events not queued for a subscriber because its queue was full.',
    labelNames: ['subscriber'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'spout_bus_queue_depth',
    help: 'Events waiting or being handled, per subscriber.',
    labelNames: ['subscriber'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [subscriber, n] of Object.entries(bus().depth().bySubscriber)) this.set({ subscriber }, n);
    },
  });
  return { registry, published, failures, overflow };
}
