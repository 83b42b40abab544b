import WebSocket from 'ws';
import type { InputState } from '../../../src/bus/events.js';

export interface ConnectionOptions {
  url: string;
  /** Messages to send after every (re)connect: subscriptions do not survive a reconnect. */
  subscriptions: () => unknown[];
  onFrame(text: string): void;
  onState(state: InputState, reason?: string): void;
  /** Called after every open, with the number of opens so far (1 for the first). */
  onOpen?(opens: number): void;
  /** Called when the connection closes, with the WebSocket close code (1009: frame too large). */
  onClose?(code: number): void;
  /** Silence after which an application ping is sent (mempool.space's own client: 30 s). */
  pingAfterMs?: number;
  /** How long to wait for any frame after a ping before reconnecting (5 s). */
  pongTimeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Largest inbound frame accepted; a larger one closes the connection (1009) and it reconnects. */
  maxPayload?: number;
  /** Outbound messages allowed per window (the server closes at 100 per 10 s). */
  sendLimit?: { messages: number; windowMs: number };
  random?: () => number;
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
 * `minBackoffMs` and `maxBackoffMs` (1 s … 60 s), re-send the subscriptions after every open,
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
  let attempt = 0;
  let opens = 0;
  let silence: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  const sentAt: number[] = [];
  const outbox: string[] = [];

  const clear = (t: NodeJS.Timeout | null) => t && clearTimeout(t);

  const armSilence = () => {
    clear(silence);
    silence = setTimeout(() => {
      options.onState('degraded', `no data for ${pingAfter / 1000} s; pinging`);
      send({ action: 'ping' });
      silence = setTimeout(() => {
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

  const schedule = (reason: string) => {
    if (stopped) return;
    options.onState('disconnected', reason);
    const ceiling = Math.min(maxBackoff, minBackoff * 2 ** attempt);
    attempt++;
    retry = setTimeout(connect, Math.max(minBackoff, Math.round(ceiling * (0.5 + random() * 0.5))));
  };

  const connect = () => {
    retry = null;
    if (stopped) return;
    options.onState('connecting');
    const ws = new WebSocket(options.url, {
      perMessageDeflate: false,
      maxPayload: options.maxPayload ?? 64 * 2 ** 20,
      handshakeTimeout: 15_000,
    });
    socket = ws;
    ws.on('open', () => {
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
      if (!isBinary) options.onFrame(data.toString());
    });
    let tooLarge = false;
    ws.on('error', (error: Error & { code?: string }) => {
      // 'close' follows every 'error'; the reason is reported there.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooLarge = true;
    });
    ws.on('close', (closeCode) => {
      const code = tooLarge ? 1009 : closeCode;
      options.onClose?.(code);
      clear(silence);
      silence = null;
      if (socket === ws) socket = null;
      schedule(code === 1009 ? 'frame too large' : `connection closed (${code})`);
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
