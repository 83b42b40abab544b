import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import {
  type AnyEnvelope,
  type RateLimiter,
  type TokenClaims,
  type Verification,
  createFilter,
  eventMatcher,
} from '../../../src/index.js';
import type { AuthFailure, WsMetrics } from './metrics.js';
import { CLOSE, closeCodeFor, closeReasonFor, parseClientMessage, type ServerMessage } from './protocol.js';

/** setTimeout's longest delay; a later expiry is reached in several waits. */
const MAX_TIMER_MS = 2_147_483_647;
/** Messages kept while a token is being checked (a client may send subscribe right after auth). */
const MAX_QUEUED = 16;
/** Whales whose filter decision one client remembers (so their settlements follow it). */
const FILTER_MEMORY = 1_000;

/** One connection, from upgrade to close. */
export interface Client {
  readonly ip: string;
  /** pending: not authenticated yet; open: receives events; closed: gone or closing. */
  readonly state: 'pending' | 'open' | 'closed';
  readonly claims: TokenClaims | null;
  /** Whether this client's subscription takes `envelope`. */
  wants(envelope: AnyEnvelope): boolean;
  /** Send an already-serialised event (a text frame) with its envelope id. */
  send(data: Buffer, id: string): void;
  readonly bufferedAmount: number;
  /** Close with a protocol code (the client is told why). */
  close(code: number, reason: string): void;
  /** Drop at once, without a closing handshake (nothing more is written to it). */
  terminate(): void;
  /** Heartbeat: false once pinged until the pong comes back. */
  alive: boolean;
  ping(): void;
}

export interface ClientDeps {
  verify(token: string): Promise<Verification>;
  /** Checked again when a verification ends: a revocation may have come in meanwhile. */
  isRevoked(jti: string): boolean;
  limiter: RateLimiter;
  authTimeoutMs: number;
  /** Unsent bytes beyond which the client is dropped. */
  sendBufferBytes: number;
  metrics: WsMetrics;
  log: Logger;
  /** The state changed (pending → open, → closed). */
  changed(client: Client): void;
  /** What was routed after an event (`ctx.history.since`), for a client that resumes. */
  history(eventId: string): Promise<AnyEnvelope[] | null>;
}

/**
 * Take over a connection from `peer` (`ip` for logs, `key` for the failure limit; see
 * `addressKey`): authentication (the upgrade's `Authorization: Bearer` header, else a
 * first `auth` message within `authTimeoutMs`), then `subscribe` messages; closed at the
 * token's expiry. Every failure is confined to this connection.
 */
export function acceptClient(
  ws: WebSocket,
  peer: { ip: string; key: string },
  bearer: string | null,
  deps: ClientDeps,
): Client {
  const { ip, key } = peer;
  let state: Client['state'] = 'pending';
  let claims: TokenClaims | null = null;
  let verifying = false;
  const queued: string[] = [];
  let accepts: (type: AnyEnvelope['type']) => boolean = () => true;
  let filter: (e: AnyEnvelope) => boolean = () => true;
  let authTimer: NodeJS.Timeout | undefined;
  // While a resuming client is sent what it missed, live events wait here (then go, minus repeats).
  let held: Array<[Buffer, string]> | null = null;
  let expiryTimer: NodeJS.Timeout | undefined;

  const reply = (message: ServerMessage) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify(message));
    // A client that floods requests without reading the answers is too slow, like any other.
    if (ws.bufferedAmount > deps.sendBufferBytes) {
      deps.metrics.dropped('backpressure');
      client.terminate();
    }
  };
  const finish = () => {
    if (state === 'closed') return;
    state = 'closed';
    clearTimeout(authTimer);
    clearTimeout(expiryTimer);
    deps.changed(client);
  };
  const close = (code: number, reason: string) => {
    if (state === 'closed') return;
    finish();
    ws.close(code, reason);
  };
  const refuse = (failure: AuthFailure, code: number, reason: string) => {
    deps.metrics.authFailure(failure);
    if (failure !== 'rate_limited') deps.limiter.hit(key);
    deps.log.debug({ ip, reason: failure, sub: claims?.sub }, `websocket client refused: ${reason}`);
    close(code, reason);
  };

  const armExpiry = (exp: number) => {
    const left = exp * 1000 - Date.now();
    if (left <= 0) return close(CLOSE.unauthorized, 'token expired');
    expiryTimer = setTimeout(() => armExpiry(exp), Math.min(left, MAX_TIMER_MS));
    expiryTimer.unref();
  };

  /** Send what was routed after `from`, then what came meanwhile; tell the client how it went. */
  const resume = (from: string) => {
    held = [];
    deps.history(from).then(
      (missed) => {
        if (state !== 'open') return;
        const sent = new Set<string>();
        for (const envelope of missed ?? [])
          if (client.wants(envelope)) {
            ws.send(JSON.stringify(envelope));
            sent.add(envelope.id);
          }
        reply({ type: 'resumed', from, missed: sent.size, complete: missed !== null });
        for (const [data, id] of held ?? []) if (!sent.has(id)) ws.send(data, { binary: false });
        held = null;
      },
      (error: unknown) => {
        deps.log.warn({ err: error }, `resume failed: ${(error as Error).message}`);
        reply({ type: 'resumed', from, missed: 0, complete: false });
        for (const [data] of held ?? []) ws.send(data, { binary: false });
        held = null;
      },
    );
  };

  const authenticate = (token: string, from?: string) => {
    verifying = true;
    clearTimeout(authTimer);
    deps.verify(token).then(
      (result) => {
        verifying = false;
        if (state !== 'pending') return;
        if (result.ok && deps.isRevoked(result.claims.jti)) result = { ok: false, reason: 'revoked' };
        if (!result.ok)
          return refuse(result.reason, closeCodeFor(result.reason), closeReasonFor(result.reason));
        claims = result.claims;
        state = 'open';
        deps.changed(client);
        reply({ type: 'auth.ok', sub: claims.sub, exp: claims.exp });
        armExpiry(claims.exp);
        if (from !== undefined) resume(from);
        for (const text of queued.splice(0)) onText(text);
      },
      (error: unknown) => {
        verifying = false;
        deps.log.error({ err: error }, `token check failed: ${(error as Error).message}`);
        close(1011, 'internal error');
      },
    );
  };

  const onText = (text: string) => {
    if (state === 'closed') return;
    if (verifying) {
      if (queued.length >= MAX_QUEUED) return close(1008, 'wait for auth.ok before sending more');
      return void queued.push(text);
    }
    const message = parseClientMessage(text);
    if (state === 'pending') {
      if ('error' in message && message.error.startsWith('auth "resume"'))
        return refuse('malformed', CLOSE.unauthorized, message.error);
      if ('error' in message || message.type !== 'auth')
        return refuse(
          'malformed',
          CLOSE.unauthorized,
          'the first message must be {"type":"auth","token":"…"}',
        );
      return authenticate(message.token, message.resume);
    }
    if ('error' in message) return reply({ type: 'error', message: message.error });
    if (message.type === 'auth') return reply({ type: 'error', message: 'already authenticated' });
    const events = message.events ?? ['*'];
    accepts = eventMatcher(events);
    filter = createFilter(message.filter ?? null, FILTER_MEMORY);
    reply({ type: 'subscribed', events, filter: message.filter ?? null });
  };

  const client: Client = {
    ip,
    get state() {
      return state;
    },
    get claims() {
      return claims;
    },
    wants: (envelope) => state === 'open' && accepts(envelope.type) && filter(envelope),
    send(data, id) {
      if (held) held.push([data, id]);
      else ws.send(data, { binary: false });
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    close,
    terminate() {
      finish();
      ws.terminate();
    },
    alive: true,
    ping() {
      if (ws.readyState === ws.OPEN) ws.ping();
    },
  };

  ws.on('message', (data, isBinary) => {
    try {
      if (isBinary) {
        if (state === 'pending')
          return refuse(
            'malformed',
            CLOSE.unauthorized,
            'the first message must be {"type":"auth","token":"…"}',
          );
        return reply({
          type: 'error',
          message: 'binary frames are not part of the protocol; send JSON text',
        });
      }
      onText(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8'));
    } catch (error) {
      deps.log.error({ err: error }, `websocket message handling failed: ${(error as Error).message}`);
      close(1011, 'internal error');
    }
  });
  ws.on('pong', () => (client.alive = true));
  ws.on('close', finish);

  const limit = deps.limiter.blocked(key);
  if (limit.blocked) {
    const seconds = Math.max(1, Math.ceil(limit.retryAfterMs / 1000));
    refuse('rate_limited', CLOSE.tooManyAttempts, `too many failed authentications; retry in ${seconds} s`);
  } else if (bearer !== null) {
    authenticate(bearer);
  } else {
    authTimer = setTimeout(
      () =>
        refuse(
          'timeout',
          CLOSE.authTimeout,
          'authentication timeout: send {"type":"auth","token":"…"} first',
        ),
      deps.authTimeoutMs,
    );
  }
  return client;
}
