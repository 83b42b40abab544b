import type { Store } from '../store/port.js';
import { COLLECTIONS, type TokenRecord } from '../store/records.js';
import type { TokenClaims } from './tokens.js';

/** Where a recorded token stands at a given time. */
export type TokenState = 'active' | 'expired' | 'revoked';

/** The issued tokens and revocations kept in the store (collection `tokens`, by jti). */
export interface TokenRegistry {
  isRevoked(jti: string): boolean;
  /** Whether `jti` is recorded at all (issued here, or revoked before). */
  has(jti: string): boolean;
  /** Remember an issued token (its claims as {@link recordOf} gives them; never the token). */
  record(record: TokenRecord): void;
  /**
   * Revoke `jti` from `now` on. A jti not recorded is revoked all the same (it may have been
   * issued with the same secret elsewhere): callers that must refuse an unknown jti (`spout token
   * revoke` without `--force`) check {@link TokenRegistry.has} first. `known`: it was recorded; `already`: it was revoked.
   */
  revoke(jti: string, now: Date): { known: boolean; already: boolean };
  list(): TokenRecord[];
}

export function createTokenRegistry(store: Store): TokenRegistry {
  const tokens = store.collection<TokenRecord>(COLLECTIONS.tokens);
  return {
    isRevoked: (jti) => tokens.get(jti)?.revokedAt !== undefined,
    has: (jti) => tokens.get(jti) !== undefined,
    record(record) {
      // A revocation that arrived first (requests are applied in file-name order) stays.
      const existing = tokens.get(record.jti);
      tokens.put(record.jti, {
        ...record,
        ...(existing?.revokedAt ? { revokedAt: existing.revokedAt } : {}),
      });
    },
    revoke(jti, now) {
      const existing = tokens.get(jti);
      if (existing?.revokedAt) return { known: existing.sub !== undefined, already: true };
      tokens.put(jti, { ...(existing ?? { jti }), revokedAt: now.toISOString() });
      return { known: existing !== undefined, already: false };
    },
    list: () => [...tokens.entries()].map(([, r]) => r),
  };
}

/** The record kept for issued `claims`. */
export function recordOf(claims: TokenClaims): TokenRecord {
  return {
    jti: claims.jti,
    sub: claims.sub,
    scope: [...claims.scope],
    issuedAt: new Date(claims.iat * 1000).toISOString(),
    expiresAt: new Date(claims.exp * 1000).toISOString(),
  };
}

/** Whether `record` is revoked, expired or active at `now`. */
export function tokenState(record: TokenRecord, now: Date): TokenState {
  if (record.revokedAt) return 'revoked';
  if (record.expiresAt && Date.parse(record.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}
