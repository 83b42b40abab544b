import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { scopesOf, type Scope } from './scopes.js';
import { signingKey } from './secret.js';

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
 * is refused before the signature is looked at), signed with `secret`, not expired at `now`,
 * with `sub`, `jti`, `exp` and `iat`, not revoked, and carrying `scope`. Never throws for a bad
 * token; the reason is returned.
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
      requiredClaims: ['sub', 'jti', 'exp', 'iat'],
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
  if (options.isRevoked(jti)) return { ok: false, reason: 'revoked' };
  const scope = scopesOf(payload.scope);
  if (!scope.includes(options.scope)) return { ok: false, reason: 'scope' };
  return { ok: true, claims: { sub, jti, exp, iat, scope } };
}
