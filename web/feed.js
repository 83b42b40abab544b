// The live feed: the WebSocket (auth message first, see docs/websocket.md) and the REST
// back-fill after each (re)connection. Reconnects with backoff unless the token was refused.

const AUTH_CLOSE = { 4401: 'The token was refused', 4403: 'The token lacks the alerts:read scope' };
const MAX_BACKOFF_MS = 60_000;

/**
 * Start the feed. Callbacks: `onEvent(envelope)`, `onWhales(list)` (a back-fill page),
 * `onState('connecting' | 'live' | 'reconnecting')`, `onAuthFailure(reason)` (the feed stops).
 * `since()` says where a back-fill starts. Returns `{ stop }`.
 */
export function createFeed({ token, since, onEvent, onWhales, onState, onAuthFailure }) {
  let ws = null;
  let timer = 0;
  let attempt = 0;
  let stopped = false;

  const fail = (reason) => {
    if (stopped) return;
    stop();
    onAuthFailure(reason);
  };

  const backfill = async () => {
    const query = new URLSearchParams({ limit: '500' });
    const from = since();
    if (from) query.set('since', from);
    try {
      const res = await fetch(`api/whales?${query}`, {
        headers: { authorization: `Bearer ${token}` },
        cache: 'no-store',
      });
      const body = await res.json().catch(() => ({}));
      if (res.status === 401 || res.status === 403) return fail(body.message ?? `HTTP ${res.status}`);
      if (res.ok && !stopped) onWhales(body.whales ?? []);
    } catch {
      // The WebSocket's close handler reconnects and back-fills again.
    }
  };

  const connect = () => {
    const url = new URL('ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.hash = '';
    ws = new WebSocket(url);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
    ws.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data.type === 'auth.ok') {
        attempt = 0;
        onState('live');
        void backfill();
      } else if (typeof data.type === 'string' && data.data) onEvent(data);
    };
    ws.onclose = (event) => {
      ws = null;
      if (stopped) return;
      if (AUTH_CLOSE[event.code]) return fail(event.reason || AUTH_CLOSE[event.code]);
      onState('reconnecting');
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
      attempt += 1;
      timer = setTimeout(connect, delay);
    };
  };

  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    if (ws) {
      ws.onclose = null;
      ws.close(1000);
      ws = null;
    }
  };

  onState('connecting');
  connect();
  return { stop };
}
