import type { Registry } from 'prom-client';
import { counter, gauge } from '../../../src/index.js';

/** Why an authentication failed (label `reason` of `spout_ws_auth_failures_total`). */
export type AuthFailure =
  'invalid' | 'expired' | 'revoked' | 'scope' | 'timeout' | 'malformed' | 'rate_limited';

/** Why a client was dropped by the server (label `reason` of `spout_ws_clients_dropped_total`). */
export type DropReason = 'backpressure' | 'heartbeat' | 'oversize';

/** Why an upgrade was refused (label `reason` of `spout_ws_upgrades_refused_total`). */
export type UpgradeRefusal = 'origin' | 'max_clients' | 'max_pending' | 'pending_per_ip';

/** The websocket output's metrics, bound to one instance. */
export interface WsMetrics {
  clients(pending: number, authenticated: number): void;
  authFailure(reason: AuthFailure): void;
  sent(n: number): void;
  dropped(reason: DropReason): void;
  refused(reason: UpgradeRefusal): void;
}

export function createWsMetrics(registry: Registry, instance: string): WsMetrics {
  const clients = gauge(
    registry,
    'spout_ws_clients',
    'WebSocket connections open now, by state (pending: not yet authenticated).',
    ['instance', 'state'],
  );
  const failures = counter(
    registry,
    'spout_ws_auth_failures_total',
    'Refused WebSocket authentications, by reason (invalid, expired, revoked, scope, timeout, malformed, rate_limited).',
    ['instance', 'reason'],
  );
  const sent = counter(
    registry,
    'spout_ws_messages_sent_total',
    'Event messages sent to WebSocket clients.',
    ['instance'],
  );
  const dropped = counter(
    registry,
    'spout_ws_clients_dropped_total',
    'WebSocket clients dropped by the server, by reason (backpressure: too slow to read; heartbeat: no pong; oversize: frame too large).',
    ['instance', 'reason'],
  );
  const refused = counter(
    registry,
    'spout_ws_upgrades_refused_total',
    'WebSocket upgrades refused before connecting, by reason (origin, max_clients, max_pending, pending_per_ip).',
    ['instance', 'reason'],
  );
  return {
    clients(pending, authenticated) {
      clients.set({ instance, state: 'pending' }, pending);
      clients.set({ instance, state: 'authenticated' }, authenticated);
    },
    authFailure: (reason) => failures.inc({ instance, reason }),
    sent: (n) => void (n > 0 && sent.inc({ instance }, n)),
    dropped: (reason) => dropped.inc({ instance, reason }),
    refused: (reason) => refused.inc({ instance, reason }),
  };
}
