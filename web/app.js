// The dashboard's entry point: sign-in, then the filters, the live tables and "load older".
import { render } from 'preact';
import { memo } from 'preact/compat';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import './app.css';
import { syncClock, useNow } from './age.js';
import { createWhaleBook, SETTLEMENTS } from './book.js';
import { Charts } from './charts.js';
import { createFeed } from './feed.js';
import { FilterBar } from './filter-bar.js';
import { HealthStrip } from './health.js';
import { createPoller } from './poll.js';
import { filterKey, filterQuery, parseFilter, writeFilterToUrl } from './filters.js';
import { adoptFragmentToken, clearToken, loadToken, saveToken } from './session.js';
import { useScrolledAway } from './scroll.js';
import { Header, NewPill, PendingTable, SettledTable, SignIn } from './views.js';

const MAX_ROWS = 500;
const STATUS_EVERY_MS = 10_000;
const STATS_EVERY_MS = 60_000;
const CHARTS_EVERY_MS = 5_000;
// A whale settled: the day's accuracy changed, asked again this long after (once per burst).
const STATS_AFTER_SETTLE_MS = 2_000;

/**
 * The health strip and the accuracy figures, polled while the tab is visible, from when the
 * feed has accepted the token (`accepted`): a refused token is the feed's to report.
 * `settled()` asks for the figures again shortly (a whale settled: the accuracy moved), instead
 * of at the next minute's poll.
 */
function usePolled(token, accepted, onSignOut) {
  const [status, setStatus] = useState(null);
  const [statusError, setStatusError] = useState(null);
  const [stats, setStats] = useState(undefined);
  const statsPoller = useRef(null);
  useEffect(() => {
    if (!accepted) return undefined;
    const pollers = [
      createPoller({
        path: 'api/status',
        token,
        intervalMs: STATUS_EVERY_MS,
        onData: (s) => {
          syncClock(s.now);
          setStatus(s);
          setStatusError(null);
        },
        onError: setStatusError,
        onAuthFailure: onSignOut,
      }),
      createPoller({
        path: 'api/stats?since=30d',
        token,
        intervalMs: STATS_EVERY_MS,
        onData: setStats,
        onAuthFailure: onSignOut,
      }),
    ];
    statsPoller.current = pollers[1];
    return () => {
      statsPoller.current = null;
      pollers.forEach((p) => p.stop());
    };
  }, [token, accepted]);
  const settled = useCallback(() => statsPoller.current?.soon(STATS_AFTER_SETTLE_MS), []);
  return { status, statusError, stats, settled };
}

const MemoCharts = memo(Charts);

function Dashboard({ token, onSignOut }) {
  const [filter, setFilter] = useState(() => parseFilter(location.search));
  const key = filterKey(filter);
  const book = useMemo(() => createWhaleBook(MAX_ROWS), [token, key]);
  const feedRef = useRef(null);
  const [, setVersion] = useState(0);
  const [state, setState] = useState('connecting');
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(false);
  // Rows first seen after the reader scrolled away wait behind the "N new" pill.
  const [cutoff, setCutoff] = useState(Infinity);
  const away = useScrolledAway();
  const [accepted, setAccepted] = useState(false);
  const { status, statusError, stats, settled } = usePolled(token, accepted, onSignOut);
  // The charts follow the book every few seconds, not at every event.
  const chartsAt = useNow(CHARTS_EVERY_MS);
  const chartRows = useMemo(() => book.all(), [book, chartsAt]);

  useEffect(() => {
    setCutoff(away ? book.lastSeq() : Infinity);
  }, [away, book]);

  useEffect(() => {
    // One render per frame however many events arrive; a hidden tab gets no frames, so no work piles up.
    let frame = 0;
    const refresh = () => {
      if (!frame)
        frame = requestAnimationFrame(() => {
          frame = 0;
          setVersion((v) => v + 1);
        });
    };
    setCursor(null);
    const feed = createFeed({
      token,
      filter,
      query: filterQuery(filter),
      since: () => book.since(),
      onEvent: (event) => {
        if (SETTLEMENTS.has(event.type)) settled();
        if (book.apply(event)) refresh();
      },
      onWhales: (whales, next) => {
        if (next !== undefined) setCursor(next);
        if (book.merge(whales)) refresh();
      },
      onState: (next) => {
        setState(next);
        if (next === 'live') setAccepted(true);
      },
      onAuthFailure: (reason) => onSignOut(reason),
    });
    feedRef.current = feed;
    return () => {
      feed.stop();
      cancelAnimationFrame(frame);
    };
  }, [token, key]);

  const changeFilter = (next) => {
    writeFilterToUrl(next);
    setFilter(next);
  };

  const loadOlder = async () => {
    if (!cursor || loading) return;
    setLoading(true);
    const got = await feedRef.current?.older(cursor);
    setLoading(false);
    if (!got) return;
    book.raise(got.whales.length);
    book.merge(got.whales, { older: true });
    setCursor(got.nextCursor);
  };

  const pending = book.pending();
  useEffect(() => {
    // For the render budget (test/web/budgets.browser.test.ts): when the first rows are on screen.
    if (pending.length > 0 && performance.getEntriesByName('spout:first-rows').length === 0)
      performance.mark('spout:first-rows');
  });
  const shown = pending.filter((r) => r.seq <= cutoff);
  const waiting = pending.length - shown.length;

  return html`<${Header} state=${state} onSignOut=${onSignOut} />
    <${HealthStrip} status=${status} error=${statusError} />
    <${FilterBar} filter=${filter} onChange=${changeFilter} />
    ${
      waiting > 0 &&
      html`<${NewPill}
        count=${waiting}
        onClick=${() => {
          window.scrollTo({ top: 0 });
          setCutoff(Infinity);
        }}
      />`
    }
    <main class="tables">
      <${PendingTable} rows=${shown} book=${book} />
      <${SettledTable} rows=${book.settled()} book=${book} />
    </main>
    <footer class="more">
      ${
        cursor
          ? html`<button type="button" id="load-older" onClick=${loadOlder} disabled=${loading}>
              ${loading ? 'Loading…' : 'Load older whales'}
            </button>`
          : html`<p class="empty">No older whales stored${key ? ' for these filters' : ''}.</p>`
      }
    </footer>
    <${MemoCharts} stats=${stats} rows=${chartRows} now=${chartsAt} />`;
}

function App() {
  const [token, setToken] = useState(loadToken);
  const [reason, setReason] = useState(null);
  if (!token)
    return html`<${SignIn}
      reason=${reason}
      onSubmit=${(t) => {
        saveToken(t);
        setReason(null);
        setToken(t);
      }}
    />`;
  return html`<${Dashboard}
    token=${token}
    onSignOut=${(why) => {
      clearToken();
      setReason(why);
      setToken(null);
    }}
  />`;
}

adoptFragmentToken();
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
performance.mark('spout:first-render');
