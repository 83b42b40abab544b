// The screens: sign-in, the header, and the two tables. Plain htm templates (no JSX transform).
import { html } from 'htm/preact';
import {
  formatAge,
  formatBtc,
  formatEta,
  formatFlow,
  formatInt,
  formatRate,
  formatTransferred,
  formatUsd,
  shortTxid,
} from './format.js';

/** The sign-in form; `reason` says why the previous session ended. */
export function SignIn({ reason, onSubmit }) {
  const submit = (event) => {
    event.preventDefault();
    const token = new FormData(event.currentTarget).get('token').trim();
    if (token) onSubmit(token);
  };
  return html`<main class="signin">
    <h1>Spout</h1>
    <p>
      Live Bitcoin whale alerts. Sign in with a token that has <code>alerts:read</code> and
      <code>api:read</code>.
    </p>
    ${reason && html`<p class="reason" role="alert" id="signin-reason">Signed out: ${reason}</p>`}
    <form onSubmit=${submit}>
      <label for="token">Token</label>
      <input id="token" name="token" type="password" autocomplete="off" required spellcheck="false" />
      <button type="submit">Sign in</button>
    </form>
    <p class="hint">
      Make one with <code>spout token create --sub dashboard --scope alerts:read,api:read</code>. It is kept
      for this tab only.
    </p>
  </main>`;
}

const STATE_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' };

/** The top bar: connection state and "sign out". */
export function Header({ state, onSignOut }) {
  return html`<header class="bar">
    <h1>Spout</h1>
    <p class="state state-${state}" role="status" aria-live="polite" id="feed-state">
      ${STATE_TEXT[state] ?? state}
    </p>
    <button type="button" onClick=${() => onSignOut(null)}>Sign out</button>
  </header>`;
}

const cell = (label, content, cls) => html`<td data-label=${label} class=${cls}>${content}</td>`;

const txLink = (row) =>
  html`<a
    href=${`https://mempool.space/tx/${row.txid}`}
    rel="noreferrer"
    target="_blank"
    title=${row.txid}
    aria-label=${`Transaction ${row.txid}`}
    >${shortTxid(row.txid)}</a
  >`;

function PendingRow({ row, now }) {
  const w = row.whale;
  const level = w.urgency?.level;
  return html`<tr data-txid=${row.txid}>
    ${cell('Transaction', txLink(row))}
    ${cell(
      'Value',
      html`<span
        >${formatBtc(w.valueBtc)} BTC<br /><small>${formatUsd(w.valueUsd)}</small
        >${formatTransferred(w) ? html`<br /><small>${formatTransferred(w)}</small>` : null}</span
      >`,
      'num',
    )}
    ${cell('Flow', formatFlow(w.flow))} ${cell('Fee rate', formatRate(w.feeRate), 'num')}
    ${cell('Urgency', level ? html`<span class=${`badge u-${level}`}>${level}</span>` : '—')}
    ${cell('ETA', formatEta(w), 'eta')}
    ${cell('RBF', w.rbf?.signaling ? html`<span class="badge rbf" title="Signals replace-by-fee">RBF</span>` : '—')}
    ${cell('Age', formatAge(w.detectedAt, now), 'num')}
  </tr>`;
}

function settledText(row) {
  const o = row.outcome ?? {};
  if (row.status === 'confirmed')
    return o.blocksWaited === undefined
      ? 'confirmed'
      : `${o.blocksWaited === 1 ? '1 block' : `${formatInt(o.blocksWaited)} blocks`} · ${formatInt(o.minutesWaited)} min`;
  if (row.status === 'replaced') return o.byTxid ? `by ${shortTxid(o.byTxid)}` : '—';
  return o.reason ?? '—';
}

function SettledRow({ row, now }) {
  const w = row.whale;
  return html`<tr data-txid=${row.txid} class="fade-in">
    ${cell('Transaction', txLink(row))} ${cell('Value', html`${formatBtc(w.valueBtc)} BTC`, 'num')}
    ${cell('Flow', formatFlow(w.flow))}
    ${cell('Outcome', html`<span class=${`badge s-${row.status}`}>${row.status}</span>`)}
    ${cell('Waited', settledText(row))}
    ${cell('Settled', row.settledAt ? `${formatAge(row.settledAt, now)} ago` : '—', 'num')}
  </tr>`;
}

const heads = (labels) =>
  html`<thead>
    <tr>
      ${labels.map((l) => html`<th scope="col">${l}</th>`)}
    </tr>
  </thead>`;

/** A captioned table of rows, or a line saying there are none. */
function Table({ id, title, labels, rows, Row, now, empty }) {
  return html`<section class="panel" aria-labelledby=${`${id}-title`}>
    <h2 id=${`${id}-title`}>${title} <span class="count">(${formatInt(rows.length)})</span></h2>
    ${
      rows.length === 0
        ? html`<p class="empty">${empty}</p>`
        : html`<table id=${id}>
            <caption class="sr-only">
              ${title} whales
            </caption>
            ${heads(labels)}
            <tbody>
              ${rows.map((row) => html`<${Row} key=${row.txid} row=${row} now=${now} />`)}
            </tbody>
          </table>`
    }
  </section>`;
}

/** The Pending table. */
export const PendingTable = ({ rows, now }) =>
  html`<${Table}
    id="pending"
    title="Pending"
    rows=${rows}
    now=${now}
    Row=${PendingRow}
    labels=${['Transaction', 'Value', 'Flow', 'Fee rate', 'Urgency', 'ETA', 'RBF', 'Age']}
    empty="No pending whale yet: they appear here as soon as they are seen."
  />`;

/** The Settled table. */
export const SettledTable = ({ rows, now }) =>
  html`<${Table}
    id="settled"
    title="Settled"
    rows=${rows}
    now=${now}
    Row=${SettledRow}
    labels=${['Transaction', 'Value', 'Flow', 'Outcome', 'Waited', 'Settled']}
    empty="Confirmed, replaced and dropped whales appear here."
  />`;
