// The dashboard's entry point: sign-in, then the live tables.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import './app.css';
import { createWhaleBook } from './book.js';
import { createFeed } from './feed.js';
import { adoptFragmentToken, clearToken, loadToken, saveToken } from './session.js';
import { Header, PendingTable, SettledTable, SignIn } from './views.js';

const MAX_ROWS = 500;

function Dashboard({ token, onSignOut }) {
  const book = useMemo(() => createWhaleBook(MAX_ROWS), [token]);
  const [, setVersion] = useState(0);
  const [state, setState] = useState('connecting');
  const [now, setNow] = useState(Date.now());

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
    const feed = createFeed({
      token,
      since: () => book.since(),
      onEvent: (event) => book.apply(event) && refresh(),
      onWhales: (whales) => book.merge(whales) && refresh(),
      onState: setState,
      onAuthFailure: (reason) => onSignOut(reason),
    });
    const tick = setInterval(() => document.hidden || setNow(Date.now()), 1000);
    return () => {
      feed.stop();
      clearInterval(tick);
      cancelAnimationFrame(frame);
    };
  }, [token]);

  return html`<${Header} state=${state} onSignOut=${onSignOut} />
    <main class="tables">
      <${PendingTable} rows=${book.pending()} now=${now} />
      <${SettledTable} rows=${book.settled()} now=${now} />
    </main>`;
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
