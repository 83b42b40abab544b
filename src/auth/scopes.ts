/** What a token may do. `alerts:read`: listen on the WebSocket; `api:read`: query the REST API. */
export const SCOPES = ['alerts:read', 'api:read'] as const;
export type Scope = (typeof SCOPES)[number];

/** The scope `spout token create` gives when `--scope` is not set: listening only. */
export const DEFAULT_SCOPES: readonly Scope[] = ['alerts:read'];

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/**
 * Parse `--scope`: names separated by commas or spaces. Returns the scopes, or the unknown names
 * (so the message can list them).
 */
export function parseScopes(text: string): { ok: true; scopes: Scope[] } | { ok: false; unknown: string[] } {
  const names = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !isScope(n));
  if (unknown.length > 0 || names.length === 0) return { ok: false, unknown };
  return { ok: true, scopes: [...new Set(names)] as Scope[] };
}

/**
 * The scopes a verified token carries. The JWT `scope` claim is a space-separated string
 * (RFC 8693, as OAuth servers issue it); an array is accepted too.
 */
export function scopesOf(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(' ').filter(Boolean);
  if (Array.isArray(claim)) return claim.filter((s): s is string => typeof s === 'string');
  return [];
}
