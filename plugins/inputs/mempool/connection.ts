import WebSocket from 'ws';
import { type InputState, createCancellableLookup } from '../../../src/index.js';

export interface ConnectionOptions {
  url: string;
  /** Messages to send after every (re)connect: subscriptions do not survive a reconnect. */
  subscriptions: () => unknown[];
  onFrame(text: string): void;
  /** Called with a text frame's length in bytes before it is decoded (room.ts: young-generation room). */
  beforeFrame?(bytes: number): void;
  onState(state: InputState, reason?: string): void;
  /** Called after every open, with the number of opens so far (1 for the first). */
  onOpen?(opens: number): void;
  /** Called when the connection closes, with the WebSocket close code (1009: frame too large). */
  onClose?(code: number): void;
  /** Called when an attempt ends before the connection opened: why, and when the next one is. */
  onConnectFailure?(failure: ConnectFailure): void;
  /** Called when an open connection is lost (not on `stop()`), and when the next attempt is. */
  onLost?(cause: string, retryInMs: number): void;
  /** Silence after which an application ping is sent (mempool.space's own client: 30 s). */
  pingAfterMs?: number;
  /** How long to wait for any frame after a ping before reconnecting (5 s). */
  pongTimeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a connection attempt (TCP, TLS and the HTTP upgrade) may take (15 s). */
  handshakeTimeoutMs?: number;
  /** Largest inbound frame accepted; a larger one closes the connection (1009) and it reconnects. */
  maxPayload?: number;
  /** Outbound messages allowed per window (the server closes at 100 per 10 s). */
  sendLimit?: { messages: number; windowMs: number };
  random?: () => number;
}

/**
 * Why an attempt to connect failed, as the `reason` label of `spout_input_connect_failures_total`:
 * the name did not resolve, nothing listened, TLS failed, the server answered the upgrade with an
 * HTTP status, the attempt timed out, the peer closed it, or anything else.
 */
export type FailureReason =
  'dns' | 'refused' | 'unreachable' | 'tls' | `http_${number}` | 'timeout' | 'closed' | 'other';

/** A failed attempt to connect. */
export interface ConnectFailure {
  reason: FailureReason;
  /** The cause as the socket reported it (`getaddrinfo ENOTFOUND mempool.space`); no URL. */
  message: string;
  /** Delay before the next attempt. */
  retryInMs: number;
}

const TLS_CODES = new Set([
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/**
 * Classify the error that ended an attempt before it opened (`undefined`: it closed without
 * one). Node and `ws` name the cause in `code` (`ENOTFOUND`, `ECONNREFUSED`, `ERR_TLS_…`,
 * OpenSSL's `ERR_SSL_…`); `ws` reports an HTTP answer to the upgrade and its own timeout only in
 * the message.
 */
export function classifyFailure(error: (Error & { code?: string; errors?: unknown[] }) | undefined): {
  reason: FailureReason;
  message: string;
} {
  if (!error) return { reason: 'closed', message: 'connection closed before it opened' };
  // Node 20 tries every address of a name and reports an AggregateError with an empty message.
  const inner = error.errors?.find((e): e is Error => e instanceof Error);
  const raw = error.message || inner?.message || error.code || 'unknown error';
  const code = error.code ?? (inner as { code?: string } | undefined)?.code ?? '';
  // OpenSSL's text is one long line ending in a source path: keep its reason ("wrong version number").
  const ssl = /SSL routines:[^:]*:([^:]+)/.exec(raw)?.[1];
  const message = ssl ? `TLS error: ${ssl}` : raw.replace(/\s+/g, ' ').trim().slice(0, 300);
  const status = /^Unexpected server response: (\d{3})$/.exec(raw)?.[1];
  if (status) return { reason: `http_${Number(status)}`, message: `HTTP ${status} to the upgrade` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA')
    return { reason: 'dns', message };
  // The DNS servers asked directly (c-ares): `queryA ETIMEOUT host`, `queryAaaa ECONNREFUSED host`.
  const syscall =
    (error as { syscall?: string }).syscall ?? (inner as { syscall?: string } | undefined)?.syscall;
  if (syscall?.startsWith('query')) return { reason: 'dns', message };
  if (code === 'ECONNREFUSED') return { reason: 'refused', message };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL')
    return { reason: 'unreachable', message };
  if (ssl || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || TLS_CODES.has(code))
    return { reason: 'tls', message };
  if (code === 'ETIMEDOUT' || message === 'Opening handshake has timed out')
    return { reason: 'timeout', message };
  if (code === 'ECONNRESET' || code === 'EPIPE' || message === 'socket hang up')
    return { reason: 'closed', message };
  return { reason: 'other', message };
}

/**
 * Delay before reconnect attempt `attempt` (0 for the first): exponential backoff with full
 * jitter, a uniformly random point between `min` and the ceiling `min·2^attempt` (at most `max`).
 */
export function backoffDelay(attempt: number, min: number, max: number, random: () => number): number {
  const ceiling = Math.min(max, min * 2 ** Math.min(attempt, 52));
  return Math.round(min + random() * Math.max(0, ceiling - min));
}

/** The URL without credentials or query, for messages (the logger scrubs secrets too). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

/** A resilient connection to a mempool.space WebSocket server. */
export interface Connection {
  start(): void;
  /** Send a message now, or as soon as the outbound limit allows (queued, in order). */
  send(message: unknown): void;
  stop(): Promise<void>;
  opens(): number;
}

/**
 * Keep one WebSocket connection up: reconnect with exponential backoff and full jitter between
 * `minBackoffMs` and `maxBackoffMs` (1 s … 60 s; see {@link backoffDelay}), re-send the
 * subscriptions after every open, report why each attempt that never opened failed
 * (`onConnectFailure`) and when an open connection is lost (`onLost`),
 * ping after `pingAfterMs` of silence and reconnect when nothing arrives within `pongTimeoutMs`.
 * States: connecting → connected; degraded while a ping is unanswered; disconnected between
 * attempts. Never throws from a socket callback.
 */
export function createConnection(options: ConnectionOptions): Connection {
  const pingAfter = options.pingAfterMs ?? 30_000;
  const pongTimeout = options.pongTimeoutMs ?? 5_000;
  const minBackoff = options.minBackoffMs ?? 1_000;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const limit = options.sendLimit ?? { messages: 80, windowMs: 10_000 };
  const random = options.random ?? Math.random;
  let socket: WebSocket | null = null;
  let stopped = true;
  const names = createCancellableLookup();
  let attempt = 0;
  let opens = 0;
  let silence: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  /** The silence timer closed the current socket: no answer to a ping. */
  let pongTimedOut = false;
  const sentAt: number[] = [];
  const outbox: string[] = [];

  const clear = (t: NodeJS.Timeout | null) => t && clearTimeout(t);

  const armSilence = () => {
    clear(silence);
    silence = setTimeout(() => {
      options.onState('degraded', `no data for ${pingAfter / 1000} s; pinging`);
      send({ action: 'ping' });
      silence = setTimeout(() => {
        pongTimedOut = true;
        socket?.terminate();
      }, pongTimeout);
    }, pingAfter);
  };

  const flush = () => {
    clear(flushTimer);
    flushTimer = null;
    const now = Date.now();
    while (sentAt.length > 0 && (sentAt[0] as number) <= now - limit.windowMs) sentAt.shift();
    while (outbox.length > 0 && socket?.readyState === WebSocket.OPEN && sentAt.length < limit.messages) {
      socket.send(outbox.shift() as string);
      sentAt.push(now);
    }
    if (outbox.length > 0 && socket?.readyState === WebSocket.OPEN) {
      flushTimer = setTimeout(flush, (sentAt[0] as number) + limit.windowMs - now + 1);
    }
  };

  const send = (message: unknown) => {
    outbox.push(JSON.stringify(message));
    flush();
  };

  /** Arm the next attempt; tell `report` its delay, then report the state. */
  const schedule = (reason: string, report: (retryInMs: number) => void) => {
    const delay = backoffDelay(attempt, minBackoff, maxBackoff, random);
    attempt++;
    report(delay);
    options.onState('disconnected', reason);
    retry = setTimeout(connect, delay);
  };

  const failed = (error: (Error & { code?: string }) | undefined) => {
    if (stopped) return;
    const { reason, message } = classifyFailure(error);
    schedule(`cannot connect: ${message} (${reason})`, (retryInMs) =>
      options.onConnectFailure?.({ reason, message, retryInMs }),
    );
  };

  const connect = () => {
    retry = null;
    if (stopped) return;
    options.onState('connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(options.url, {
        perMessageDeflate: false,
        maxPayload: options.maxPayload ?? 64 * 2 ** 20,
        handshakeTimeout: options.handshakeTimeoutMs ?? 15_000,
        lookup: names.lookup,
      });
    } catch {
      // A URL the schema let through but the WebSocket client refuses (its message echoes it).
      failed(Object.assign(new Error('the URL is not a valid WebSocket URL'), { code: 'ERR_INVALID_URL' }));
      return;
    }
    socket = ws;
    let opened = false;
    let lastError: (Error & { code?: string }) | undefined;
    ws.on('open', () => {
      opened = true;
      pongTimedOut = false;
      opens++;
      outbox.length = 0; // anything queued for the old socket is superseded by the subscriptions
      sentAt.length = 0; // the server's limit is per connection
      for (const m of options.subscriptions()) send(m);
      options.onOpen?.(opens);
      options.onState('connected');
      armSilence();
    });
    ws.on('message', (data, isBinary) => {
      attempt = 0;
      armSilence();
      if (isBinary) return;
      options.beforeFrame?.((data as Buffer).length);
      options.onFrame(data.toString());
    });
    let tooLarge = false;
    ws.on('error', (error: Error & { code?: string }) => {
      // 'close' follows every 'error'; the reason is reported there.
      lastError ??= error;
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooLarge = true;
    });
    ws.on('close', (closeCode) => {
      clear(silence);
      silence = null;
      if (socket === ws) socket = null;
      if (!opened) return failed(lastError);
      const code = tooLarge ? 1009 : closeCode;
      options.onClose?.(code);
      if (stopped) return;
      const cause =
        code === 1009
          ? 'frame too large'
          : pongTimedOut
            ? `no answer to a ping within ${pongTimeout / 1000} s`
            : `connection closed (${code}${lastError ? `: ${lastError.message}` : ''})`;
      pongTimedOut = false;
      schedule(cause, (retryInMs) => options.onLost?.(cause, retryInMs));
    });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      connect();
    },
    send,
    async stop() {
      stopped = true;
      // A pending name lookup would otherwise hold the process up at exit (see lookup.ts).
      names.cancel();
      clear(retry);
      clear(silence);
      clear(flushTimer);
      const ws = socket;
      socket = null;
      if (ws && ws.readyState !== WebSocket.CLOSED) {
        await new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          ws.terminate();
        });
      }
      options.onState('disconnected', 'stopped');
    },
    opens: () => opens,
  };
}
