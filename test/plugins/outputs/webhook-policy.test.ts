import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import webhook from '../../../plugins/outputs/webhook/index.js';
import { WebhookOptions, resolveOptions } from '../../../plugins/outputs/webhook/options.js';
import {
  DEFAULT_SCHEDULE,
  classify,
  parseRetryAfter,
  plan,
  retryAfterCap,
} from '../../../src/delivery/outbox/policy.js';
import { createSigner, isStandardSecret } from '../../../plugins/outputs/webhook/sign.js';
import { createAjv } from '../../../src/config/ajv.js';
import { secretOptionPaths } from '../../../src/config/build-schema.js';
import { parseDuration } from '../../../src/config/durations.js';
import { newSecret } from '../../helpers/receiver.js';

const SCHEDULE = DEFAULT_SCHEDULE.map(parseDuration);
const NOW = Date.parse('2026-11-21T12:00:00Z');

describe('webhook policy', () => {
  it('classifies responses and errors', () => {
    expect(classify({ statusCode: 200 })).toBe('delivered');
    expect(classify({ statusCode: 204 })).toBe('delivered');
    expect(classify({ error: 'ECONNREFUSED' })).toBe('retry');
    expect(classify({ error: 'timed out after 15000 ms' })).toBe('retry');
    for (const s of [408, 429, 500, 502, 503, 504]) expect(classify({ statusCode: s })).toBe('retry');
    for (const s of [301, 302, 307, 400, 401, 403, 404, 413, 422])
      expect(classify({ statusCode: s })).toBe('failure');
    expect(classify({ statusCode: 410 })).toBe('gone');
  });

  it('follows the default schedule (about 5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 10 h) with ±20% jitter, then dead', () => {
    expect(SCHEDULE).toEqual([5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]);
    for (const [i, delay] of SCHEDULE.entries()) {
      const attempt = i + 1;
      const at = (random: number) => plan({ statusCode: 500 }, attempt, SCHEDULE, NOW, () => random);
      expect(at(0)).toEqual({ outcome: 'retry', delayMs: delay * 0.8, verdict: 'retry' });
      expect(at(0.5)).toEqual({ outcome: 'retry', delayMs: delay, verdict: 'retry' });
      const most = (at(0.999999) as { delayMs: number }).delayMs;
      expect(most).toBeLessThanOrEqual(delay * 1.2);
      expect(most).toBeGreaterThan(delay * 1.1999);
    }
    // 8 attempts in all: the eighth failure is final.
    expect(plan({ error: 'ECONNRESET' }, 8, SCHEDULE, NOW)).toEqual({ outcome: 'dead', verdict: 'retry' });
    expect(plan({ statusCode: 404 }, 8, SCHEDULE, NOW)).toEqual({ outcome: 'dead', verdict: 'failure' });
    // 3xx and other 4xx are failed attempts too: retried on the schedule.
    expect(plan({ statusCode: 404 }, 1, SCHEDULE, NOW, () => 0.5)).toMatchObject({
      outcome: 'retry',
      delayMs: 5000,
    });
    expect(plan({ statusCode: 500 }, 1, [], NOW)).toMatchObject({ outcome: 'dead' });
  });

  it('delivers on 2xx and disables on 410 whatever the attempt', () => {
    expect(plan({ statusCode: 201 }, 8, SCHEDULE, NOW)).toEqual({ outcome: 'delivered' });
    expect(plan({ statusCode: 410 }, 1, SCHEDULE, NOW)).toEqual({ outcome: 'disabled' });
    expect(plan({ statusCode: 410 }, 8, SCHEDULE, NOW)).toEqual({ outcome: 'disabled' });
  });

  it('honours Retry-After in seconds or as an HTTP date, as given, capped at twice the longest delay', () => {
    expect(parseRetryAfter('2', NOW)).toBe(2000);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), NOW)).toBe(0);
    for (const bad of [undefined, '', 'soon', '-5', '1.5', '5s'])
      expect(parseRetryAfter(bad, NOW)).toBeNull();

    const after = (retryAfter: string, attempt = 1, schedule = SCHEDULE) =>
      plan({ statusCode: 503, retryAfter }, attempt, schedule, NOW, () => 0);
    expect(after('2')).toMatchObject({ outcome: 'retry', delayMs: 2000 });
    expect(after('3600', 1)).toMatchObject({ delayMs: 3_600_000 });
    expect(retryAfterCap(SCHEDULE)).toBe(72_000_000);
    expect(after(String(10 * 86_400))).toMatchObject({ delayMs: 72_000_000 });
    expect(after('2', 1, [100, 100])).toMatchObject({ delayMs: 200 });
    // It does not add attempts.
    expect(after('2', 8)).toMatchObject({ outcome: 'dead' });
    expect(plan({ statusCode: 429, retryAfter: 'garbage' }, 1, SCHEDULE, NOW, () => 0.5)).toMatchObject({
      delayMs: 5000,
    });
  });
});

describe('webhook signing', () => {
  it('accepts only whsec_ + canonical base64 of 24–64 bytes', () => {
    const b64 = (n: number) => Buffer.alloc(n, 1).toString('base64');
    expect(isStandardSecret(newSecret())).toBe(true);
    expect(isStandardSecret('whsec_' + b64(24))).toBe(true);
    expect(isStandardSecret('whsec_' + b64(64))).toBe(true);
    expect(isStandardSecret('whsec_' + b64(23))).toBe(false);
    expect(isStandardSecret('whsec_' + b64(65))).toBe(false);
    expect(isStandardSecret(b64(32))).toBe(false);
    expect(isStandardSecret('whsec_' + b64(32).replace(/=+$/, ''))).toBe(false);
    expect(isStandardSecret('whsec_' + b64(32) + '=')).toBe(false);
    expect(isStandardSecret('whsec_' + b64(33).slice(0, -1) + '*')).toBe(false);
  });

  it('puts one v1 signature per secret in the header; each verifies alone', () => {
    const secrets = [newSecret(), newSecret(), newSecret()];
    const at = new Date();
    const body = JSON.stringify({ id: 'evt_1', type: 'whale.dropped', data: { txid: 'ab', reason: 'x' } });
    const headers = createSigner(secrets).sign('evt_1', at, body);
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(headers['webhook-signature'].split(' ')).toEqual(
      secrets.map((s) => new Webhook(s).sign('evt_1', at, body)),
    );
    for (const s of secrets) expect(new Webhook(s).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });
});

describe('webhook options', () => {
  const validate = createAjv().compile(WebhookOptions);

  it('fills in the defaults and marks the secret, alone or in a list, as secret', () => {
    const options: Record<string, unknown> = { url: 'https://example.com/hook', secret: newSecret() };
    expect(validate(options)).toBe(true);
    expect(options).toMatchObject({
      retry: [...DEFAULT_SCHEDULE],
      timeout: '15s',
      concurrency: 4,
      headers: {},
    });
    expect(validate({ url: 'https://example.com/hook', secret: [newSecret(), newSecret()] })).toBe(true);
    expect(secretOptionPaths(webhook.options as unknown as Record<string, unknown>)).toEqual(['secret']);
    expect(webhook).toMatchObject({ kind: 'output', name: 'webhook', defaultEvents: ['whale.*'] });
  });

  it('rejects a wrong secret, URL or concurrency in the schema, one error each', () => {
    const check = (options: Record<string, unknown>) => {
      validate({ url: 'https://example.com/hook', secret: newSecret(), ...options });
      return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    };
    expect(check({ secret: 'hunter2' })).toEqual(['/secret pattern']);
    expect(check({ secret: ['whsec_abc', 'oops'] })).toEqual(['/secret/1 pattern']);
    expect(check({ secret: [] })).toEqual(['/secret minItems']);
    expect(check({ url: 'ftp://example.com/x' })).toEqual(['/url pattern']);
    expect(check({ concurrency: 0 })).toEqual(['/concurrency minimum']);
    expect(check({ retry: ['5s', 'soon'] })).toEqual(['/retry/1 format']);
  });

  it('resolves durations and refuses what the schema cannot check', () => {
    const base = {
      url: 'https://example.com/hook',
      secret: newSecret(),
      retry: ['100ms', '1m'],
      timeout: '2s',
      concurrency: 2,
      headers: { 'x-a': 'b' },
    };
    expect(resolveOptions(base)).toEqual({
      url: 'https://example.com/hook',
      secrets: [base.secret],
      scheduleMs: [100, 60_000],
      timeoutMs: 2000,
      concurrency: 2,
      headers: { 'x-a': 'b' },
    });
    expect(() => resolveOptions({ ...base, timeout: '0s' })).toThrow(
      expect.objectContaining({
        code: 'SPOUT_CONFIG_INVALID',
        scope: { option: 'timeout' },
        message: expect.stringMatching(/^must be longer than 0/),
      }),
    );
    for (const h of ['webhook-signature', 'Content-Type', 'WEBHOOK-TIMESTAMP'])
      expect(() => resolveOptions({ ...base, headers: { [h]: 'x' } })).toThrow(
        expect.objectContaining({ code: 'SPOUT_CONFIG_INVALID' }),
      );
  });
});
