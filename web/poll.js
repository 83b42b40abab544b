// Polling the REST API for the page's side panels (health, charts).

const FIRST_RETRY_MS = 2_000;
const HIDDEN_CHECK_MS = 1_000;

/**
 * Poll an authenticated API path (`api/status`, `api/stats?since=30d`) with `token` now and
 * every `intervalMs`, skipping polls while the tab is hidden (and polling at once when it shows
 * again, or within a second of being shown). `onData(answer)` on success; `onAuthFailure(message)` on 401/403 (polling stops);
 * `onError(message)` on any other failure, after which the poll is retried sooner than the
 * interval: after the answer's `Retry-After` seconds, else 2 s doubling at each failure in a row,
 * never later than the next regular poll. Returns `{ stop, soon }`: `soon(ms)` polls once `ms`
 * from now, however often it is called meanwhile (what the page shows changed: look again).
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
  let failures = 0;
  let retry = null;
  let nudge = null;

  // A failed poll (a restart, a 503 under load, a 429) would otherwise leave its panel empty or
  // stale for a whole interval (a minute for the charts).
  const retryLater = (res) => {
    failures++;
    const after = Number(res?.headers.get('retry-after'));
    const ms = Number.isFinite(after) && after > 0 ? after * 1000 : FIRST_RETRY_MS * 2 ** (failures - 1);
    clearTimeout(retry);
    if (ms < intervalMs) retry = setTimeout(poll, ms);
  };

  const poll = async () => {
    if (stopped || busy) return;
    if (document.hidden) {
      // Look again in a second: a page that starts hidden (a background tab, a headless browser
      // under load) is not always told by a visibilitychange when it is shown. No request is made.
      clearTimeout(retry);
      retry = setTimeout(poll, HIDDEN_CHECK_MS);
      return;
    }
    busy = true;
    clearTimeout(retry);
    let res = null;
    try {
      res = await fetch(path, {
        headers: { authorization: `Bearer ${token}` },
        cache: 'no-store',
      });
      const body = await res.json().catch(() => ({}));
      if (stopped) return;
      if (res.status === 401 || res.status === 403) {
        stop();
        onAuthFailure(body.message ?? `HTTP ${res.status}`);
      } else if (res.ok) {
        failures = 0;
        onData(body);
      } else {
        onError(body.message ?? `HTTP ${res.status}`);
        retryLater(res);
      }
    } catch (error) {
      if (!stopped) {
        onError(error?.message ?? String(error));
        retryLater(res);
      }
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
    clearTimeout(retry);
    clearTimeout(nudge);
    document.removeEventListener('visibilitychange', onVisible);
  };
  const soon = (ms) => {
    if (stopped || nudge) return;
    nudge = setTimeout(() => {
      nudge = null;
      void poll();
    }, ms);
  };
  void poll();
  return { stop, soon };
}
