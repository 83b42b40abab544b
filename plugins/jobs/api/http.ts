import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  addressKey,
  type RateLimiter,
  type Verification,
  sendJson,
  parseSince,
  entityKey,
} from '../../../src/index.js';
import { FLOW_TYPES, URGENCY_LEVELS } from './whale-filter.js';
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

/** The parameters that take several values, comma-separated, and an example of each. */
const LIST_EXAMPLES: Record<string, string> = {
  status: 'status=confirmed,dropped',
  flow: 'flow=inflow,outflow',
  entity: 'entity=Binance,Coinbase',
  urgency: 'urgency=high,critical',
};

/**
 * The query as one string per parameter. The router gives an array for a repeated parameter
 * (`?status=a&status=b`): refused with 400, saying how to give several values.
 */
export function singleValues(query: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string')
      throw bad(
        `${name} is given more than once; give it once${LIST_EXAMPLES[name] ? ` (several values: ${LIST_EXAMPLES[name]})` : ''}.`,
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

/** Refuse (400) a parameter other than `allowed`, saying which ones the route takes. */
export function onlyParameters(query: Record<string, string>, allowed: readonly string[]): void {
  const unknown = Object.keys(query).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw bad(
      `Unknown parameter ${unknown.join(', ')}; ${allowed.length > 0 ? `use ${allowed.join(', ')}` : 'this route takes none'}.`,
    );
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

/** A comma-separated list of `allowed` values, as a set; 400 listing them otherwise. */
function oneOrMoreOf<T extends string>(name: string, text: string, allowed: readonly T[]): Set<T> {
  const list = text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const wrong = list.filter((v) => !(allowed as readonly string[]).includes(v));
  if (list.length === 0 || wrong.length > 0)
    throw bad(
      `${name} must be one or more of ${allowed.join(', ')} (comma-separated)${wrong.length > 0 ? `, not ${wrong.join(', ')}` : ''}.`,
    );
  return new Set(list as T[]);
}

const WHALE_PARAMETERS = [
  'since',
  'until',
  'minBtc',
  'status',
  'flow',
  'entity',
  'urgency',
  'limit',
  'cursor',
];

/** Parse the query of `GET /api/whales`. */
export function parseWhaleQuery(query: Record<string, string>, now: Date): WhaleQuery {
  onlyParameters(query, WHALE_PARAMETERS);
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
  if (query.status !== undefined) q.status = oneOrMoreOf<ApiStatus>('status', query.status, API_STATUSES);
  if (query.flow !== undefined) q.flow = oneOrMoreOf('flow', query.flow, FLOW_TYPES);
  if (query.urgency !== undefined) q.urgency = oneOrMoreOf('urgency', query.urgency, URGENCY_LEVELS);
  if (query.entity !== undefined) {
    const names = query.entity.split(',').filter((n) => n.trim() !== '');
    const keys = names.map(entityKey);
    if (names.length === 0 || keys.includes(''))
      throw bad(
        'entity must be one or more entity names with a letter or digit, comma-separated (entity=Binance,Coinbase).',
      );
    q.entities = new Set(keys);
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
