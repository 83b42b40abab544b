import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { addressKey, verifyToken, defineOutput } from '../../../src/index.js';
import { acceptClient, type Client } from './client.js';
import { createWsMetrics } from './metrics.js';
import { WebSocketOptions, resolveOptions } from './options.js';
import { createPendingLimits } from './pending.js';
import { CLOSE } from './protocol.js';

/**
 * `websocket`: pushes routed envelopes to authenticated WebSocket clients on the shared HTTP
 * server (`path`, default `/ws`). Protocol in docs/websocket.md: a token with `alerts:read`
 * (header or first message within `authTimeout`), `auth.ok`, then envelopes; `subscribe`
 * narrows one client's events and filter. Close codes 4401 (bad, expired or revoked token),
 * 4403 (scope), 4408 (timeout), 4429 (too many failed attempts), 1009 (frame too big).
 * Connections not yet authenticated are capped in all (`maxPending`, then 503) and per address
 * (`maxPendingPerIp`, IPv6 by /64, then 429) before the upgrade, so they cannot fill `maxClients`.
 *
 * No client can hurt the others: each event is serialised once and written to every client
 * that wants it; a client whose unsent data passes `sendBufferBytes` is dropped at once, one that
 * misses a heartbeat is dropped, inbound frames are capped, and failures stay with their client.
 * A revoked token (`spout token revoke`, even from another process) closes its connections
 * within a second; a token's connections close when it expires.
 */
export default defineOutput({
  name: 'websocket',
  description:
    'Authenticated WebSocket feed of events (JWT from `spout token create`), with per-client filters.',
  options: WebSocketOptions,
  defaultEvents: ['whale.*', 'accuracy.*'],
  everyInstance: true,
  resolve: (options, { auth, httpEnabled }) => resolveOptions(options, auth, httpEnabled),
  async setup(ctx) {
    const o = ctx.options;
    const secret = ctx.auth?.secret as string; // checked by resolveOptions
    const metrics = createWsMetrics(ctx.metrics, ctx.instance);
    const limiter = ctx.limiter({
      name: 'auth-failures',
      max: o.maxAuthFailures,
      windowMs: o.authFailureWindowMs,
    });
    const pendingLimits = createPendingLimits(o);
    const clients = new Set<Client>();
    let pending = 0;
    let open = 0;
    const count = () => {
      pending = open = 0;
      for (const c of clients) c.state === 'open' ? open++ : pending++;
      metrics.clients(pending, open);
    };

    const hub = await ctx.tokens.join((jti) => {
      let closed = 0;
      for (const c of [...clients])
        if (c.claims?.jti === jti) {
          c.close(CLOSE.unauthorized, 'token revoked');
          closed++;
        }
      return closed;
    });

    const serverOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      maxPayload: o.maxMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
      // A client that does not answer our close frame is cut off after this, not after 30 s
      // (ws ≥ 8.18 has the option; its types do not list it yet).
      closeTimeout: 5_000,
    };
    const wss = new WebSocketServer(serverOptions);

    const refuse = (socket: Duplex, status: number, text: string, headers = '') => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${headers}Content-Length: 0\r\n\r\n`);
    };
    ctx.http.upgrade(o.path, (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      const origin = req.headers.origin?.toLowerCase();
      if (o.origins && origin !== undefined && !o.origins.has('*') && !o.origins.has(origin)) {
        metrics.refused('origin');
        return refuse(socket, 403, 'Forbidden');
      }
      if (clients.size >= o.maxClients || ctx.signal.aborted) {
        metrics.refused('max_clients');
        return refuse(socket, 503, 'Service Unavailable');
      }
      const ip = req.socket.remoteAddress ?? 'unknown';
      const key = addressKey(req.socket.remoteAddress);
      const place = pendingLimits.acquire(key);
      if ('refused' in place) {
        metrics.refused(place.refused);
        if (place.refused === 'max_pending') return refuse(socket, 503, 'Service Unavailable');
        const retry = `Retry-After: ${Math.ceil(o.authTimeoutMs / 1000)}\r\n`;
        return refuse(socket, 429, 'Too Many Requests', retry);
      }
      // Released once the client is authenticated or gone, or when the upgrade never completes.
      socket.once('close', place.release);
      const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        ws.on('error', (error: Error & { code?: string }) => {
          if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
            metrics.dropped('oversize');
            ctx.log.info(
              { ip },
              `websocket client sent a frame over ${o.maxMessageBytes} bytes: closed (1009)`,
            );
          } else ctx.log.debug({ ip, err: error }, `websocket client error: ${error.message}`);
        });
        const client = acceptClient(ws, { ip, key }, auth?.[1] ?? null, {
          verify: (token) =>
            verifyToken(token, { secret, scope: 'alerts:read', isRevoked: hub.registry.isRevoked }),
          isRevoked: hub.registry.isRevoked,
          limiter,
          authTimeoutMs: o.authTimeoutMs,
          sendBufferBytes: o.sendBufferBytes,
          metrics,
          log: ctx.log,
          history: (eventId) => ctx.history.since(eventId),
          changed: (c) => {
            if (c.state !== 'pending') place.release();
            if (c.state === 'closed') clients.delete(c);
            count();
          },
        });
        if (client.state !== 'pending') place.release();
        if (client.state !== 'closed') clients.add(client);
        count();
      });
    });

    ctx.scheduler.every(
      o.heartbeatMs,
      () => {
        for (const c of [...clients]) {
          if (!c.alive) {
            metrics.dropped('heartbeat');
            c.terminate();
            continue;
          }
          c.alive = false;
          c.ping();
        }
      },
      { name: 'websocket heartbeat' },
    );

    ctx.onStop(() => {
      for (const c of [...clients]) c.close(CLOSE.goingAway, 'server stopping');
      clients.clear();
      metrics.clients(0, 0);
      wss.close();
    });

    // Set when a client had more than half the bound waiting after the last event.
    let congested = false;
    return {
      async deliver(envelope) {
        // A burst of events is written in one go; one turn of the event loop first lets the
        // sockets flush, so a client that reads is not taken for one that does not.
        if (congested) await new Promise((resolve) => setImmediate(resolve));
        congested = false;
        let data: Buffer | null = null;
        let sent = 0;
        for (const c of clients) {
          if (!c.wants(envelope)) continue;
          // Serialised once, the same bytes go to every client.
          data ??= Buffer.from(JSON.stringify(envelope));
          c.send(data, envelope.id);
          sent++;
          if (c.bufferedAmount > o.sendBufferBytes / 2) congested = true;
          if (c.bufferedAmount > o.sendBufferBytes) {
            metrics.dropped('backpressure');
            ctx.log.warn(
              { sub: c.claims?.sub, ip: c.ip, buffered: c.bufferedAmount },
              `websocket client dropped: more than ${o.sendBufferBytes} bytes waiting (it does not read fast enough)`,
            );
            c.terminate();
          }
        }
        metrics.sent(sent);
      },
    };
  },
});
