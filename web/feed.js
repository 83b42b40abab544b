// The live feed: the WebSocket (auth message first, see docs/websocket.md) and the REST
// back-fill after each (re)connection. Reconnects with backoff unless the token was refused.

const AUTH_CLOSE = { 4401: 'The token was refused', 4403: 'The token lacks the alerts:read scope' };
const MAX_BACKOFF_MS = 60_000;

/**
 * Start the feed. Callbacks: `onEvent(envelope)`, `onWhales(list, nextCursor)` (a back-fill page:
 * `nextCursor` is given for the first one only, where "load older" starts),
 * `onState('connecting' | 'live' | 'reconnecting')`, `onAuthFailure(reason)` (the feed stops).
 * `since()` says where a back-fill after a reconnect starts. `query` (URLSearchParams) narrows
 * both the subscription and the back-fill (see filters.js). Returns `{ stop, older(cursor) }`:
 * `older` fetches the page after `cursor` and resolves to `{ whales, nextCursor }`.
 */
export function createFeed({ token, filter = {}, query, since, onEvent, onWhales, onState, onAuthFailure }) {
  let ws = null;
  let timer = 0;
  let attempt = 0;
  let stopped = false;
  let first = true;

  const fail = (reason) => {
    if (stopped) return;
    stop();
    onAuthFailure(reason);
  };

  /** One page of `/api/whales` with the filter; null when it failed (the reason is handled). */
  const page = async (extra) => {
    const params = new URLSearchParams(query);
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    const res = await fetch(`api/whales?${params}`, {
      headers: { authorization: `Bearer ${token}` },
      cache: 'no-store',
    });
    const body = await res.json().catch(() => ({}));
    if (res.status === 401 || res.status === 403) {
      fail(body.message ?? `HTTP ${res.status}`);
      return null;
    }
    return res.ok && !stopped ? { whales: body.whales ?? [], nextCursor: body.nextCursor ?? null } : null;
  };

  const backfill = async () => {
    const from = first ? undefined : since();
    try {
      const got = await page(from ? { limit: '500', since: from } : { limit: '500' });
      if (!got) return;
      onWhales(got.whales, first ? got.nextCursor : undefined);
      first = false;
    } catch {
      // The WebSocket's close handler reconnects and back-fills again.
    }
  };

  const connect = () => {
    const url = new URL('ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.hash = '';
    ws = new WebSocket(url);
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'auth', token }));
      // Queued by the server until the token is checked: no unfiltered event slips in between.
      if (Object.keys(filter).length > 0)
        ws.send(JSON.stringify({ type: 'subscribe', events: ['whale.*'], filter }));
    };
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
  return {
    stop,
    older: (cursor) => page({ limit: '100', cursor }).catch(() => null),
  };
}
