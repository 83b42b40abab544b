import { randomUUID } from 'node:crypto';
import { TEST_LABEL } from '../delivery/test-marker.js';
import { eventId, type AnyEnvelope, type Envelope } from '../bus/envelope.js';
import type { EventMap, EventType } from '../bus/events.js';

/** The events `spout test --event` can send. */
export const TEST_EVENTS = ['whale.detected', 'whale.confirmed', 'accuracy.degraded'] as const;
export type TestEvent = (typeof TEST_EVENTS)[number];

/** The sample whale's txid: zeros ending in "test" (no real transaction has it). */
export const TEST_TXID = `${'0'.repeat(60)}test`;

/** The `source` of sample envelopes (no configured instance can have this name: it is not one). */
export const TEST_SOURCE = 'spout test';

/** An envelope marked as a test: `test: true` beside its id, type, time, source and data. */
export type TestEnvelope = AnyEnvelope & { test: true };

/**
 * A sample envelope of `type`, marked `test: true`. Its id is derived like any moment event's
 * (`evt_` + 32 hex) from the time and a random part, so every test send is a new delivery: a
 * receiver that deduplicates on `webhook-id` still gets the next one.
 */
function sample<K extends EventType>(type: K, data: EventMap[K], now: Date): TestEnvelope {
  const time = now.toISOString();
  const envelope: Envelope<K> & { test: true } = {
    id: eventId(type, `${TEST_SOURCE}@${time}#${randomUUID()}`),
    type,
    time,
    source: TEST_SOURCE,
    data,
    test: true,
  };
  return envelope as unknown as TestEnvelope;
}

/** The sample whale: 1,000 BTC, labelled as a test wherever a label shows. */
export function sampleWhale(now: Date): EventMap['whale.detected'] {
  const at = now.toISOString();
  return {
    txid: TEST_TXID,
    valueSats: 1000_0000_0000,
    valueBtc: 1000,
    valueUsd: null,
    feeSats: 12_000,
    vsize: 400,
    feeRate: 30,
    urgency: { score: 0.9, level: 'critical', predictedBlocks: 1, basis: TEST_LABEL },
    rbf: { signaling: false, replaces: [] },
    flow: { type: 'internal', from: TEST_LABEL, to: TEST_LABEL },
    status: 'pending',
    firstSeen: at,
    detectedAt: at,
    url: `https://mempool.space/tx/${TEST_TXID}`,
  };
}

/**
 * The envelopes to publish for a test of `event`, the one whose delivery is reported last. A
 * chat output shows a whale's outcome by editing the whale's message, so for `whale.confirmed`
 * it first gets the sample whale (`withWhale`): one message, showing it confirmed.
 */
export function sampleEnvelopes(event: TestEvent, now: Date, withWhale = false): TestEnvelope[] {
  switch (event) {
    case 'whale.detected':
      return [sample('whale.detected', sampleWhale(now), now)];
    case 'whale.confirmed': {
      const confirmed = sample(
        'whale.confirmed',
        { txid: TEST_TXID, height: 0, blocksWaited: 1, minutesWaited: 7, predictedBlocks: 1 },
        now,
      );
      return withWhale ? [sample('whale.detected', sampleWhale(now), now), confirmed] : [confirmed];
    }
    case 'accuracy.degraded':
      return [
        sample(
          'accuracy.degraded',
          { accuracy: 0.5, window: '7d', threshold: 0.7, level: 'warning', sample: 0 },
          now,
        ),
      ];
  }
}
