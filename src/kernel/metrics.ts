import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Bus } from '../bus/bus.js';

/** The kernel's own metrics. */
export interface KernelMetrics {
  registry: Registry;
  published: Counter<'type'>;
  failures: Counter<'instance' | 'event'>;
  overflow: Counter<'subscriber'>;
  detectionLatency: Histogram;
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
  const detectionLatency = new Histogram({
    name: 'spout_detection_latency_seconds',
    help: 'Time from tx.seen being published to its whale.detected.',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  return { registry, published, failures, overflow, detectionLatency };
}
