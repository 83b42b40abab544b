import { Ajv } from 'ajv';
import {
  type EventType,
  EVENT_PATTERNS,
  FilterSchema,
  type Filter,
  type RefusalReason,
  type EventPattern,
} from '../../../src/index.js';

/** Close codes of the protocol (docs/websocket.md). */
export const CLOSE = {
  /** Bad, expired or revoked token (also: a first message that is not `auth`). */
  unauthorized: 4401,
  /** Valid token without the `alerts:read` scope. */
  forbidden: 4403,
  /** No authentication within the time limit. */
  authTimeout: 4408,
  /** Too many failed authentications from this address. */
  tooManyAttempts: 4429,
  /** Server stopping (standard "going away"). */
  goingAway: 1001,
  /** A frame over the size limit (standard "message too big"; sent by ws itself). */
  tooBig: 1009,
} as const;

/** The close code for a refused token. */
export const closeCodeFor = (reason: RefusalReason): number =>
  reason === 'scope' ? CLOSE.forbidden : CLOSE.unauthorized;

/** A close reason for people (at most 123 bytes, as the protocol requires). */
export const closeReasonFor = (reason: RefusalReason): string =>
  ({
    invalid: 'invalid token',
    expired: 'token expired',
    revoked: 'token revoked',
    scope: 'token lacks the alerts:read scope',
  })[reason];

/** What a client may send. */
export type ClientMessage =
  | { type: 'auth'; token: string; resume?: string }
  | { type: 'subscribe'; events?: EventPattern[]; filter?: Filter };

/** An event id as envelopes carry it (`evt_` + 32 hex digits). */
const EVENT_ID = /^evt_[0-9a-f]{32}$/;

const ajv = new Ajv({ allErrors: false, strict: false });
const validateSubscribe = ajv.compile({
  type: 'object',
  required: ['type'],
  properties: {
    type: { const: 'subscribe' },
    events: { type: 'array', items: { type: 'string', enum: EVENT_PATTERNS }, maxItems: 64 },
    filter: FilterSchema,
  },
  additionalProperties: false,
});

/**
 * Parse one text frame. Returns the message, or an error sentence to send back (the connection
 * stays open for a malformed message once authenticated).
 */
export function parseClientMessage(text: string): ClientMessage | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'not JSON: send {"type":"auth","token":"…"} or {"type":"subscribe",…}' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { error: 'a message must be a JSON object with a "type"' };
  const type = (value as { type?: unknown }).type;
  if (type === 'auth') {
    const token = (value as { token?: unknown }).token;
    if (typeof token !== 'string' || token.length === 0)
      return { error: 'auth needs a "token" string (a JWT from `spout token create`)' };
    const resume = (value as { resume?: unknown }).resume;
    if (resume === undefined) return { type: 'auth', token };
    if (typeof resume !== 'string' || !EVENT_ID.test(resume))
      return { error: 'auth "resume" must be the id of the last event received (evt_ and 32 hex digits)' };
    return { type: 'auth', token, resume };
  }
  if (type === 'subscribe') {
    if (!validateSubscribe(value)) {
      const e = validateSubscribe.errors?.[0];
      const where = e?.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : 'subscribe';
      const allowed = e?.keyword === 'enum' ? ` (one of ${EVENT_PATTERNS.join(', ')})` : '';
      return { error: `${where} ${e?.message ?? 'is invalid'}${allowed}` };
    }
    return value as ClientMessage;
  }
  return { error: `unknown message type ${JSON.stringify(type)}: send "auth" or "subscribe"` };
}

/** Server → client messages other than event envelopes. */
export type ServerMessage =
  | { type: 'auth.ok'; sub: string; exp: number }
  /** After a resume: `missed` events were sent; `complete` is false when `from` was unknown or too old. */
  | { type: 'resumed'; from: string; missed: number; complete: boolean }
  | { type: 'subscribed'; events: readonly (EventPattern | EventType)[]; filter: Filter | null }
  | { type: 'error'; message: string };
