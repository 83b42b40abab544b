import type { IncomingMessage, ServerResponse } from 'node:http';
import { addressKey, type RateLimiter, type Verification, sendJson, parseSince } from '../../../src/index.js';
import { API_STATUSES, decodeCursor, type ApiStatus, type WhaleQuery } from './whales.js';

/** An answer with an error status: `{ error, message }` as JSON. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const sendError = (res: ServerResponse, e: ApiError): void =>
  sendJson(res, e.status, { error: e.error, message: e.message }, e.headers);

const bad = (message: string) => new ApiError(400, 'bad_request', message);

/**
 * The query as one string per parameter. The router gives an array for a repeated parameter
 * (`?status=a&status=b`): refused with 400, saying how to give several values.
 */
export function singleValues(query: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string')
      throw bad(
        `${name} is given more than once; give it once${name === 'status' ? ' (several statuses: status=confirmed,dropped)' : ''}.`,
      );
    out[name] = value;
  }
  return out;
}

/**
 * Admit a request: rate limit per IP address (IPv6: per /64, see `addressKey`) first (so guessing tokens is limited too), then
 * a Bearer token with `api:read`. Throws the {@link ApiError} to answer otherwise.
 */
export async function admit(
  req: IncomingMessage,
  deps: { limiter: RateLimiter; verify: (token: string) => Promise<Verification> },
): Promise<void> {
  const { allowed, retryAfterMs } = deps.limiter.hit(addressKey(req.socket.remoteAddress));
  if (!allowed) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new ApiError(429, 'rate_limited', `Too many requests from this address; retry in ${seconds} s.`, {
      'retry-after': String(seconds),
    });
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  const challenge = (error: string) => ({ 'www-authenticate': `Bearer realm="spout", error="${error}"` });
  if (!match)
    throw new ApiError(
      401,
      'unauthorized',
      'Send a token as `Authorization: Bearer <token>` (make one with `spout token create --scope api:read`).',
      { 'www-authenticate': 'Bearer realm="spout"' },
    );
  const result = await deps.verify(match[1] as string);
  if (result.ok) return;
  if (result.reason === 'scope')
    throw new ApiError(
      403,
      'forbidden',
      'This token lacks the api:read scope.',
      challenge('insufficient_scope'),
    );
  const why = { invalid: 'is not valid', expired: 'has expired', revoked: 'has been revoked' }[result.reason];
  throw new ApiError(401, 'unauthorized', `The token ${why}.`, challenge('invalid_token'));
}

const MAX_LIMIT = 500;
const DEFAULT_LIMIT = 50;

/** A time bound: an ISO date or a duration ago (`24h`), as `spout stats --since` takes. */
export function parseTime(name: string, text: string | undefined, now: Date): number | undefined {
  if (text === undefined || text === '') return undefined;
  const at = parseSince(text, now);
  if (!at)
    throw bad(`${name} must be an ISO date (2026-11-21, 2026-11-21T10:00:00Z) or a duration ago (24h, 7d).`);
  return at.getTime();
}

/** Parse the query of `GET /api/whales`. */
export function parseWhaleQuery(query: Record<string, string>, now: Date): WhaleQuery {
  const known = new Set(['since', 'until', 'minBtc', 'status', 'limit', 'cursor']);
  const unknown = Object.keys(query).filter((k) => !known.has(k));
  if (unknown.length > 0) throw bad(`Unknown parameter ${unknown.join(', ')}; use ${[...known].join(', ')}.`);
  const q: WhaleQuery = { limit: DEFAULT_LIMIT };
  const since = parseTime('since', query.since, now);
  const until = parseTime('until', query.until, now);
  if (since !== undefined) q.since = since;
  if (until !== undefined) q.until = until;
  if (query.minBtc !== undefined) {
    const n = Number(query.minBtc);
    if (query.minBtc === '' || !Number.isFinite(n) || n < 0) throw bad('minBtc must be a number ≥ 0.');
    q.minBtc = n;
  }
  if (query.status !== undefined) {
    const list = query.status.split(',').filter(Boolean);
    const wrong = list.filter((s) => !(API_STATUSES as readonly string[]).includes(s));
    if (list.length === 0 || wrong.length > 0)
      throw bad(`status must be one or more of ${API_STATUSES.join(', ')} (comma-separated).`);
    q.status = new Set(list as ApiStatus[]);
  }
  if (query.limit !== undefined) {
    const n = Number(query.limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT)
      throw bad(`limit must be an integer from 1 to ${MAX_LIMIT}.`);
    q.limit = n;
  }
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    if (!after) throw bad('cursor is not one this API returned; start again without it.');
    q.after = after;
  }
  return q;
}
