import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { scopesOf, type Scope } from './scopes.js';
import { signingKey } from './secret.js';

/** The audience (`aud`) of every Spout token: a JWT made for something else is refused. */
export const TOKEN_AUDIENCE = 'spout';
/** Longest a token is accepted after its `iat`, and longest `exp - iat`: 366 days, in seconds. */
export const MAX_TOKEN_AGE_S = 366 * 86_400;
/** How far in the future an `iat` may be (the issuing machine's clock may run a little ahead). */
export const CLOCK_TOLERANCE_S = 30;

/** The claims of a Spout token (a JWT signed with HS256 and `auth.secret`). */
export interface TokenClaims {
  /** Who holds it (a name chosen at creation: a program, a dashboard, a person). */
  sub: string;
  /** Unique id: what `spout token revoke` names. */
  jti: string;
  /** Issue and expiry times, in seconds since the epoch (JWT NumericDate). */
  iat: number;
  exp: number;
  scope: string[];
}

/**
 * Create a token for `sub`, valid `ttlMs` from `now`, with the given scopes. Returns the JWT and
 * its claims (record them with the registry so `spout token list` and `revoke` know it).
 */
export async function createToken(options: {
  secret: string;
  sub: string;
  ttlMs: number;
  scopes: readonly Scope[];
  now?: Date;
}): Promise<{ token: string; claims: TokenClaims }> {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims: TokenClaims = {
    sub: options.sub,
    jti: randomUUID(),
    iat,
    exp: iat + Math.max(1, Math.round(options.ttlMs / 1000)),
    scope: [...options.scopes],
  };
  const token = await new SignJWT({ scope: claims.scope.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setJti(claims.jti)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .setAudience(TOKEN_AUDIENCE)
    .sign(signingKey(options.secret));
  return { token, claims };
}

/**
 * Why a token was refused. `invalid`: not a JWT, not HS256 (`alg: none` included), wrong
 * signature or missing claims; `expired`; `revoked`; `scope`: valid but without the scope asked.
 */
export type RefusalReason = 'invalid' | 'expired' | 'revoked' | 'scope';

export type Verification = { ok: true; claims: TokenClaims } | { ok: false; reason: RefusalReason };

/**
 * Check a token: HS256 only (the algorithm list is fixed, so `alg: none` or any other algorithm
 * is refused before the signature is looked at), header `typ: JWT`, signed with `secret`,
 * audience `spout`, with `sub`, `jti`, `exp` and `iat`, not revoked, and carrying `scope`.
 * Time: `exp` must be after `now` (no leeway); `iat` at most {@link CLOCK_TOLERANCE_S} in the
 * future (else `invalid`) and at most {@link MAX_TOKEN_AGE_S} ago (else `expired`); `exp - iat`
 * at most {@link MAX_TOKEN_AGE_S} (else `invalid`: no token is made for longer). Never throws
 * for a bad token; the reason is returned.
 */
export async function verifyToken(
  token: string,
  options: {
    secret: string;
    scope: Scope;
    isRevoked: (jti: string) => boolean;
    now?: Date;
  },
): Promise<Verification> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, signingKey(options.secret), {
      algorithms: ['HS256'],
      typ: 'JWT',
      audience: TOKEN_AUDIENCE,
      requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      maxTokenAge: MAX_TOKEN_AGE_S,
      // jose applies the tolerance to every time claim; `exp` is checked strictly below.
      clockTolerance: CLOCK_TOLERANCE_S,
      ...(options.now ? { currentDate: options.now } : {}),
    }));
  } catch (error) {
    return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
  }
  const { sub, jti, exp, iat } = payload;
  if (
    typeof sub !== 'string' ||
    typeof jti !== 'string' ||
    typeof exp !== 'number' ||
    typeof iat !== 'number'
  )
    return { ok: false, reason: 'invalid' };
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (exp <= now) return { ok: false, reason: 'expired' };
  if (exp - iat > MAX_TOKEN_AGE_S) return { ok: false, reason: 'invalid' };
  if (options.isRevoked(jti)) return { ok: false, reason: 'revoked' };
  const scope = scopesOf(payload.scope);
  if (!scope.includes(options.scope)) return { ok: false, reason: 'scope' };
  return { ok: true, claims: { sub, jti, exp, iat, scope } };
}
