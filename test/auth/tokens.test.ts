import { SignJWT, generateKeyPair, decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
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
  it('create: an HS256 JWT with sub, exp, iat, jti and scope; verify accepts it', async () => {
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
});
