import { describe, expect, it } from 'vitest';
import { delivered, failed, type OutboxRecord } from '../../src/delivery/outbox/record.js';

// Every field set: a field added to OutboxRecord fails the typecheck here until it is added, and
// then these tests, if an attempt's record drops it.
const full: Required<OutboxRecord> = {
  id: 'hook/evt_1',
  instance: 'hook',
  channel: 'webhook',
  eventId: 'evt_1',
  eventType: 'whale.detected',
  body: '{"id":"evt_1"}',
  fingerprint: 'f'.repeat(32),
  status: 'pending',
  attempts: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:01:00.000Z',
  nextAttemptAt: '2026-01-01T00:02:00.000Z',
  lastStatus: 503,
  lastError: 'timed out after 15000 ms',
  deliveredAt: '2025-12-31T00:00:00.000Z',
  test: true,
};
const now = new Date('2026-01-01T00:03:00.000Z');
const at = now.toISOString();

describe('outbox record after an attempt', () => {
  it('delivered: every field kept but lastError; status, attempts, times and lastStatus the new ones', () => {
    const { lastError: _e, ...rest } = full;
    expect(delivered(full, 3, now, 200)).toStrictEqual({
      ...rest,
      status: 'delivered',
      attempts: 3,
      updatedAt: at,
      nextAttemptAt: null,
      deliveredAt: at,
      lastStatus: 200,
    });
    // No status (a channel without one): the last one stays.
    expect(delivered(full, 3, now, undefined).lastStatus).toBe(503);
  });

  it('failed: every field kept; lastStatus and lastError those of this attempt only', () => {
    const { lastError: _e, lastStatus: _s, ...rest } = full;
    const next = new Date('2026-01-01T00:08:00.000Z');
    expect(failed(full, 3, now, 'pending', { error: 'ECONNREFUSED' }, next)).toStrictEqual({
      ...rest,
      status: 'pending',
      attempts: 3,
      updatedAt: at,
      nextAttemptAt: next.toISOString(),
      lastError: 'ECONNREFUSED',
    });
    expect(failed(full, 3, now, 'dead', { statusCode: 500 }, next)).toStrictEqual({
      ...rest,
      status: 'dead',
      attempts: 3,
      updatedAt: at,
      nextAttemptAt: null,
      lastStatus: 500,
    });
  });

  it('adds no optional field a record did not have', () => {
    const { fingerprint: _f, test: _t, deliveredAt: _d, lastStatus: _s, lastError: _e, ...bare } = full;
    expect(Object.keys(delivered(bare, 1, now, undefined)).sort()).toEqual(
      [...Object.keys(bare), 'deliveredAt'].sort(),
    );
    expect(Object.keys(failed(bare, 1, now, 'disabled', {}, null)).sort()).toEqual(Object.keys(bare).sort());
  });
});
