// Polling the REST API for the page's side panels (health, charts).

/**
 * Poll an authenticated API path (`api/status`, `api/stats?since=30d`) with `token` now and
 * every `intervalMs`, skipping polls while the tab is hidden (and polling at once when it shows
 * again). `onData(answer)` on success; `onAuthFailure(message)` on 401/403 (polling stops);
 * `onError(message)` on any other failure. Returns `{ stop }`.
 */
export function createPoller({
  path,
  token,
  intervalMs = 10_000,
  onData,
  onAuthFailure,
  onError = () => {},
}) {
  let stopped = false;
  let busy = false;

  const poll = async () => {
    if (stopped || busy || document.hidden) return;
    busy = true;
    try {
      const res = await fetch(path, {
        headers: { authorization: `Bearer ${token}` },
        cache: 'no-store',
      });
      const body = await res.json().catch(() => ({}));
      if (stopped) return;
      if (res.status === 401 || res.status === 403) {
        stop();
        onAuthFailure(body.message ?? `HTTP ${res.status}`);
      } else if (res.ok) onData(body);
      else onError(body.message ?? `HTTP ${res.status}`);
    } catch (error) {
      if (!stopped) onError(error?.message ?? String(error));
    } finally {
      busy = false;
    }
  };
  const onVisible = () => void poll();

  const timer = setInterval(poll, intervalMs);
  document.addEventListener('visibilitychange', onVisible);
  const stop = () => {
    stopped = true;
    clearInterval(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
  void poll();
  return { stop };
}
