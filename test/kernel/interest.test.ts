import { describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus/bus.js';
import { txSeenConsumers } from '../../src/kernel/interest.js';

// Who reads every tx.seen decides what an input may skip: the readers on the kernel's bus and,
// with engine: redis, those on the bus the WebSocket feed takes its events from.

describe('txSeenConsumers', () => {
  it('counts the readers of tx.seen on every bus given, once each bus, without the detector chain', () => {
    const bus = createBus();
    const fan = createBus();
    bus.subscribe('detectors', ['tx.seen'], () => {});
    bus.subscribe('correlation', ['tx.seen'], () => {});
    bus.subscribe('console', ['whale.detected'], () => {});
    fan.subscribe('live', ['tx.seen'], () => {});
    expect(txSeenConsumers([bus, fan], [], 'detectors')).toEqual(['correlation', 'live']);
    // One process: the feed's bus is the kernel's; it is not counted twice.
    expect(txSeenConsumers([bus, bus], [], 'detectors')).toEqual(['correlation']);
  });
});
