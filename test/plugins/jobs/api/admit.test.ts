import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ApiError, admit } from '../../../../plugins/jobs/api/http.js';
import { createRateLimiter } from '../../../../src/auth/rate-limit.js';
import type { Verification } from '../../../../src/auth/tokens.js';

const request = (remoteAddress: string) =>
  ({ socket: { remoteAddress }, headers: { authorization: 'Bearer t' } }) as unknown as IncomingMessage;
const verify = async (): Promise<Verification> => ({
  ok: true,
  claims: { sub: 's', jti: 'j', iat: 0, exp: 0, scope: ['api:read'] },
});

describe('REST API: admit', () => {
  it('limits an IPv6 host by its /64 (rotating addresses does not escape) and an IPv4-mapped address as its IPv4', async () => {
    const limiter = createRateLimiter({ max: 2, windowMs: 60_000 });
    const status = (address: string) =>
      admit(request(address), { limiter, verify }).then(
        () => 200,
        (e: unknown) => (e as ApiError).status,
      );
    expect(await status('2001:db8:0:1::1')).toBe(200);
    expect(await status('2001:db8:0:1::2')).toBe(200);
    expect(await status('2001:db8:0:1:ffff::3')).toBe(429);
    expect(await status('2001:db8:0:2::1')).toBe(200); // another /64
    expect(await status('203.0.113.7')).toBe(200);
    expect(await status('::ffff:203.0.113.7')).toBe(200);
    expect(await status('::ffff:203.0.113.7')).toBe(429);
    expect(await status('203.0.113.7')).toBe(429);
  });
});
