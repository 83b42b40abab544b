// The screens: sign-in, the header, and the two tables. Plain htm templates (no JSX transform).
import { html } from 'htm/preact';
import { memo } from 'preact/compat';
import { Age } from './age.js';
import {
  formatBtc,
  formatEta,
  formatFlow,
  formatInt,
  formatPercent,
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

const mempoolLink = (txid, text) =>
  html`<a
    href=${`https://mempool.space/tx/${txid}`}
    rel="noreferrer"
    target="_blank"
    title=${`${txid} on mempool.space`}
    ><span class="sr-only">Transaction </span>${text ?? shortTxid(txid)}</a
  >`;

/** A link to another whale's row when the page has it, else to mempool.space. */
const whaleLink = (book, txid) =>
  book?.get(txid)
    ? html`<a href=${`#tx-${txid}`} class="row-link" title=${txid}
        ><span class="sr-only">Whale </span>${shortTxid(txid)}</a
      >`
    : mempoolLink(txid);

function rbfCell(w, book) {
  const replaces = w.rbf?.replaces ?? [];
  if (!w.rbf?.signaling && replaces.length === 0) return '—';
  return html`<span class="rbf-cell"
    >${w.rbf?.signaling && html`<span class="badge rbf" title="Signals replace-by-fee">RBF</span>`}
    ${
      replaces.length > 0 &&
      html`<span class="replaces">replaces ${replaces.map((t) => whaleLink(book, t))}</span>`
    }</span
  >`;
}

const PendingRow = memo(function PendingRow({ row, book }) {
  const w = row.whale;
  const level = w.urgency?.level;
  return html`<tr data-txid=${row.txid} id=${`tx-${row.txid}`}>
    ${cell('Transaction', mempoolLink(row.txid))}
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
    ${cell('ETA', formatEta(w), 'eta')} ${cell('RBF', rbfCell(w, book))}
    ${cell('Age', html`<${Age} iso=${row.since} />`, 'num')}
  </tr>`;
});

/** How long a confirmed whale waited, and whether the prediction held. */
function confirmedText(o) {
  if (o.blocksWaited === undefined) return 'confirmed';
  const waited = `${o.blocksWaited === 1 ? '1 block' : `${formatInt(o.blocksWaited)} blocks`} · ${formatInt(o.minutesWaited)} min`;
  if (typeof o.predictedBlocks !== 'number') return waited;
  const held = o.blocksWaited <= o.predictedBlocks;
  return html`${waited}<br /><small class=${held ? 'held' : 'missed'}
      >${held ? 'prediction held' : 'later than predicted'} (${formatInt(o.predictedBlocks)})</small
    >`;
}

function outcomeText(row, book) {
  const o = row.outcome ?? {};
  if (row.status === 'confirmed') return confirmedText(o);
  if (row.status === 'replaced') return o.byTxid ? html`by ${whaleLink(book, o.byTxid)}` : '—';
  return o.reason ?? '—';
}

const SettledRow = memo(function SettledRow({ row, book }) {
  const w = row.whale;
  const score = row.outcome?.score;
  return html`<tr data-txid=${row.txid} id=${`tx-${row.txid}`} class=${row.moved ? 'moved' : undefined}>
    ${cell('Transaction', mempoolLink(row.txid))} ${cell('Value', html`${formatBtc(w.valueBtc)} BTC`, 'num')}
    ${cell('Flow', formatFlow(w.flow))}
    ${cell('Outcome', html`<span class=${`badge s-${row.status}`}>${row.status}</span>`)}
    ${cell('Waited', outcomeText(row, book))}
    ${cell('Score', typeof score === 'number' ? formatPercent(score) : '—', 'num')}
    ${cell('Settled', row.settledAt ? html`<${Age} iso=${row.settledAt} suffix=" ago" />` : '—', 'num')}
  </tr>`;
});

/** The "N new whales" pill shown while the reader is scrolled away from the top. */
export const NewPill = ({ count, onClick }) =>
  html`<button type="button" class="pill" id="new-pill" onClick=${onClick} aria-live="polite">
    ↑ ${formatInt(count)} new ${count === 1 ? 'whale' : 'whales'}
  </button>`;

const heads = (labels) =>
  html`<thead>
    <tr>
      ${labels.map((l) => html`<th scope="col" class=${`c-${l.toLowerCase().replace(/\W+/g, '-')}`}>${l}</th>`)}
    </tr>
  </thead>`;

/** A captioned table of rows, or a line saying there are none. */
function Table({ id, title, labels, rows, Row, book, empty }) {
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
              ${rows.map((row) => html`<${Row} key=${row.txid} row=${row} book=${book} />`)}
            </tbody>
          </table>`
    }
  </section>`;
}

/** The Pending table. */
export const PendingTable = ({ rows, book }) =>
  html`<${Table}
    id="pending"
    title="Pending"
    rows=${rows}
    book=${book}
    Row=${PendingRow}
    labels=${['Transaction', 'Value', 'Flow', 'Fee rate', 'Urgency', 'ETA', 'RBF', 'Age']}
    empty="No pending whale yet: they appear here as soon as they are seen."
  />`;

/** The Settled table. */
export const SettledTable = ({ rows, book }) =>
  html`<${Table}
    id="settled"
    title="Settled"
    rows=${rows}
    book=${book}
    Row=${SettledRow}
    labels=${['Transaction', 'Value', 'Flow', 'Outcome', 'Waited', 'Score', 'Settled']}
    empty="Confirmed, replaced and dropped whales appear here."
  />`;
