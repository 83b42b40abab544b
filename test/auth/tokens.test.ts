import { SignJWT, generateKeyPair, decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { addressKey } from '../../src/auth/address.js';
import { createRateLimiter } from '../../src/auth/rate-limit.js';
import { parseScopes } from '../../src/auth/scopes.js';
import { secretProblem } from '../../src/auth/secret.js';
import { createToken, verifyToken } from '../../src/auth/tokens.js';

const SECRET = 'unit-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const key = new TextEncoder().encode(SECRET);
const verify = (
  token: string,
  scope: 'alerts:read' | 'api:read' = 'alerts:read',
  revoked = new Set<string>(),
) => verifyToken(token, { secret: SECRET, scope, isRevoked: (jti) => revoked.has(jti) });
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('tokens', () => {
  it('create: an HS256 JWT with sub, exp, iat, jti, scope and aud spout; verify accepts it', async () => {
    const now = new Date();
    const { token, claims } = await createToken({
      secret: SECRET,
      sub: 'desk',
      ttlMs: 12 * 3_600_000,
      scopes: ['alerts:read', 'api:read'],
      now,
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const payload = decodeJwt(token);
    expect(payload).toEqual({
      sub: 'desk',
      jti: claims.jti,
      iat: Math.floor(now.getTime() / 1000),
      exp: Math.floor(now.getTime() / 1000) + 43_200,
      scope: 'alerts:read api:read',
      aud: 'spout',
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(await verify(token)).toEqual({ ok: true, claims });
    expect(await verify(token, 'api:read')).toMatchObject({ ok: true });
  });

  it('verify refuses: expired, wrong secret, alg none, other algorithms (HS512, RS256), missing claims, revoked, wrong scope', async () => {
    const good = (await createToken({ secret: SECRET, sub: 'a', ttlMs: 60_000, scopes: ['alerts:read'] }))
      .token;
    const expired = (
      await createToken({
        secret: SECRET,
        sub: 'a',
        ttlMs: 60_000,
        scopes: ['alerts:read'],
        now: new Date(Date.now() - 120_000),
      })
    ).token;
    const claims = decodeJwt(good);
    const sign = (alg: string, body: Record<string, unknown> = claims) =>
      new SignJWT(body).setProtectedHeader({ alg }).sign(key);
    const { privateKey } = await generateKeyPair('RS256');
    const cases: Array<[string, string, string]> = [
      ['expired', expired, 'expired'],
      [
        'wrong secret',
        (await createToken({ secret: 'x'.repeat(40), sub: 'a', ttlMs: 60_000, scopes: ['alerts:read'] }))
          .token,
        'invalid',
      ],
      ['alg none', `${b64url({ alg: 'none' })}.${b64url(claims)}.`, 'invalid'],
      ['HS512', await sign('HS512'), 'invalid'],
      ['RS256', await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey), 'invalid'],
      ['no jti', await sign('HS256', { ...claims, jti: undefined }), 'invalid'],
      ['no exp', await sign('HS256', { ...claims, exp: undefined }), 'invalid'],
      [
        'tampered scope',
        `${good.split('.')[0]}.${b64url({ ...claims, scope: 'alerts:read api:read' })}.${good.split('.')[2]}`,
        'invalid',
      ],
      ['garbage', 'a.b.c', 'invalid'],
    ];
    for (const [what, token, reason] of cases)
      expect({ what, ...(await verify(token)) }).toEqual({ what, ok: false, reason });
    expect(await verify(good, 'alerts:read', new Set([claims.jti as string]))).toEqual({
      ok: false,
      reason: 'revoked',
    });
    expect(await verify(good, 'api:read')).toEqual({ ok: false, reason: 'scope' });
  });

  it('verify pins typ JWT and audience spout, refuses an iat in the future, and caps the age and lifetime at 366 days', async () => {
    const now = Math.floor(Date.now() / 1000);
    const DAY = 86_400;
    const body = (over: Record<string, unknown> = {}) => ({
      sub: 'a',
      jti: 'j-1',
      iat: now,
      exp: now + 3600,
      scope: 'alerts:read',
      aud: 'spout',
      ...over,
    });
    const sign = (payload: Record<string, unknown>, header: Record<string, unknown> = { typ: 'JWT' }) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'HS256', ...header }).sign(key);
    const cases: Array<[string, string, string | true]> = [
      ['as created', await sign(body()), true],
      ['no aud', await sign(body({ aud: undefined })), 'invalid'],
      ['another aud', await sign(body({ aud: 'grafana' })), 'invalid'],
      ['aud list with spout', await sign(body({ aud: ['other', 'spout'] })), true],
      ['no typ', await sign(body(), {}), 'invalid'],
      ['typ at+jwt', await sign(body(), { typ: 'at+jwt' }), 'invalid'],
      ['iat 10 s ahead (clock skew)', await sign(body({ iat: now + 10 })), true],
      ['iat 2 min ahead', await sign(body({ iat: now + 120, exp: now + 7200 })), 'invalid'],
      [
        'issued 367 days ago, exp ahead',
        await sign(body({ iat: now - 367 * DAY, exp: now + 3600 })),
        'expired',
      ],
      ['exp 400 days after iat', await sign(body({ exp: now + 400 * DAY })), 'invalid'],
      ['exp 5 s ago (no leeway on exp)', await sign(body({ iat: now - 60, exp: now - 5 })), 'expired'],
    ];
    for (const [what, token, expected] of cases)
      expect({ what, result: await verify(token) }).toMatchObject({
        what,
        result: expected === true ? { ok: true } : { ok: false, reason: expected },
      });
    const longest = await createToken({
      secret: SECRET,
      sub: 'a',
      ttlMs: 366 * DAY * 1000,
      scopes: ['alerts:read'],
    });
    expect(await verify(longest.token)).toMatchObject({ ok: true });
  });

  it('secretProblem: missing or under 32 bytes, without quoting the value', () => {
    expect(secretProblem(undefined)).toMatch(/needs auth\.secret/);
    expect(secretProblem('')).toMatch(/needs auth\.secret/);
    expect(secretProblem('s'.repeat(31))).toMatch(/31 bytes, HS256 needs at least 32/);
    expect(secretProblem('é'.repeat(16))).toBeNull(); // 32 bytes in UTF-8
    expect(secretProblem('abc')).not.toContain('abc');
  });

  it('parseScopes: comma or space separated, known names only', () => {
    expect(parseScopes('alerts:read,api:read')).toEqual({ ok: true, scopes: ['alerts:read', 'api:read'] });
    expect(parseScopes('api:read api:read')).toEqual({ ok: true, scopes: ['api:read'] });
    expect(parseScopes('admin,api:read')).toEqual({ ok: false, unknown: ['admin'] });
    expect(parseScopes(' ')).toEqual({ ok: false, unknown: [] });
  });
});

describe('rate limiter', () => {
  it('allows max hits per window per key, then refuses with the time left; a new window starts afresh', () => {
    const limiter = createRateLimiter({ max: 3, windowMs: 60_000 });
    expect([1, 2, 3].map(() => limiter.hit('a', 1_000).allowed)).toEqual([true, true, true]);
    expect(limiter.hit('a', 11_000)).toEqual({ allowed: false, retryAfterMs: 50_000 });
    expect(limiter.blocked('a', 11_000)).toEqual({ blocked: true, retryAfterMs: 50_000 });
    expect(limiter.hit('b', 11_000).allowed).toBe(true);
    expect(limiter.hit('a', 61_000).allowed).toBe(true);
    expect(limiter.blocked('a', 61_000).blocked).toBe(false);
  });

  it('tracks a bounded number of keys (a flood of addresses cannot grow it without bound)', () => {
    const limiter = createRateLimiter({ max: 1, windowMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) limiter.hit(`10.0.${i >> 8}.${i & 255}`, 1_000 + i);
    expect(limiter.size).toBeLessThanOrEqual(100);
  });

  it('slides: hits at the end of one minute still count early in the next (no 2× burst at a boundary)', () => {
    const limiter = createRateLimiter({ max: 3, windowMs: 60_000 });
    expect([1, 2, 3].map(() => limiter.hit('a', 59_000).allowed)).toEqual([true, true, true]);
    // A fixed window starting at 60 s would let three more through here.
    expect(limiter.hit('a', 61_000)).toEqual({ allowed: false, retryAfterMs: 58_000 });
    expect(limiter.blocked('a', 118_999)).toEqual({ blocked: true, retryAfterMs: 1 });
    expect(limiter.hit('a', 119_000).allowed).toBe(true);
    // Refused hits are not counted: waiting Retry-After is enough.
    const b = createRateLimiter({ max: 2, windowMs: 10_000 });
    b.hit('b', 0);
    b.hit('b', 5_000);
    for (let t = 6_000; t < 10_000; t += 500) expect(b.hit('b', t).allowed).toBe(false);
    expect(b.hit('b', 9_999)).toEqual({ allowed: false, retryAfterMs: 1 });
    expect(b.hit('b', 10_000).allowed).toBe(true);
    expect(b.hit('b', 10_001)).toEqual({ allowed: false, retryAfterMs: 4_999 });
  });

  it('when full, forgets only expired keys: a flood of fresh addresses is refused and does not lift a block', () => {
    const limiter = createRateLimiter({ max: 2, windowMs: 60_000, maxKeys: 10 });
    limiter.hit('blocked', 1_000);
    limiter.hit('blocked', 1_000);
    expect(limiter.blocked('blocked', 2_000).blocked).toBe(true);
    const fresh = Array.from({ length: 10_000 }, (_, i) =>
      limiter.hit(`10.1.${i >> 8}.${i & 255}`, 2_000 + i),
    );
    expect(fresh.filter((r) => r.allowed)).toHaveLength(9); // the table's 9 other places
    expect(fresh.at(-1)).toEqual({ allowed: false, retryAfterMs: 1_000 + 60_000 - 11_999 });
    expect(limiter.blocked('blocked', 12_000).blocked).toBe(true);
    expect(limiter.blocked('somebody-new', 12_000).blocked).toBe(true); // fails closed
    expect(limiter.size).toBe(10);
    // Once their windows have passed, the keys are forgotten and new ones come in.
    expect(limiter.hit('somebody-new', 2_000 + 9 + 60_000).allowed).toBe(true);
    expect(limiter.hit('blocked', 61_000).allowed).toBe(true);
  });
});

describe('addressKey', () => {
  it('keys IPv4 as is, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::FFFF:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:ffff:ffff:ffff:fffe')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:db8:0:2::1')).not.toBe(addressKey('2001:db8:0:1::1'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});
