// The health strip: the inputs' connection, the last block, the mempool, memory and event-loop
// lag, from `GET /api/status` (docs/websocket.md), polled while the tab is visible.
import { html } from 'htm/preact';
import { formatAge, formatInt } from './format.js';

const STATE_CLASS = { connected: 'h-ok', connecting: 'h-warn', degraded: 'h-warn', disconnected: 'h-bad' };
const RANK = { 'h-ok': 0, 'h-warn': 1, 'h-bad': 2 };
const MB = 2 ** 20;
const GB = 2 ** 30;
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** Bytes as "120 MB" or "2 GB" (binary: a MB is 2^20 bytes). */
const formatBytes = (n) =>
  typeof n !== 'number' ? '—' : n >= GB ? `${oneDecimal.format(n / GB)} GB` : `${formatInt(n / MB)} MB`;

/** Milliseconds as "3 ms", with a decimal below 10 ("0.4 ms"). */
const formatMs = (n) => `${n < 10 ? oneDecimal.format(n) : formatInt(n)} ms`;

/** The inputs' states in one item, classed by the worst of them. */
function inputItem(inputs) {
  if (!inputs?.length) return { cls: 'h-warn', text: 'input: no report yet' };
  const cls = inputs
    .map((i) => STATE_CLASS[i.state] ?? 'h-warn')
    .reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
  const one = (i) =>
    `${inputs.length > 1 ? `${i.name} ` : 'input '}${i.state}${i.reason ? `: ${i.reason}` : ''}`;
  return { cls, text: inputs.map(one).join(' · ') };
}

const item = (id, text, cls, title) => html`<li id=${id} class=${cls} title=${title}>${text}</li>`;

/**
 * The strip: `status` is the last `/api/status` answer (null until the first), `error` why the
 * last poll failed (null when it did not). Items keep their ids (`health-input`, `health-block`,
 * `health-mempool`, `health-memory`, `health-lag`) whatever they show.
 */
export function HealthStrip({ status, error }) {
  const s = status ?? {};
  const input = status ? inputItem(s.inputs) : { cls: undefined, text: 'input —' };
  const now = Date.parse(s.now);
  const p = s.process;
  const lag = p?.eventLoopLagMs;
  return html`<section class="health" aria-label="Health">
    <ul>
      ${item('health-input', input.text, input.cls)}
      ${item(
        'health-block',
        s.block ? `block ${formatInt(s.block.height)} · ${formatAge(s.block.at, now)} ago` : 'block —',
      )}
      ${item('health-mempool', s.mempool ? `mempool ${formatInt(s.mempool.count)} tx` : 'mempool —')}
      ${item(
        'health-memory',
        p ? `RSS ${formatBytes(p.rssBytes)} of ${formatBytes(p.limitBytes)}` : 'RSS —',
        undefined,
        p &&
          `heap ${formatBytes(p.heapUsedBytes)} in use; limit: ${p.limitSource === 'cgroup' ? 'container' : 'V8 heap'}`,
      )}
      ${item(
        'health-lag',
        lag ? `lag ${formatMs(lag.p99)}` : 'lag —',
        undefined,
        lag &&
          `event-loop lag, last 1–2 min: median ${formatMs(lag.p50)}, 99th percentile ${formatMs(lag.p99)}, max ${formatMs(lag.max)}`,
      )}
    </ul>
    ${error && html`<p id="health-error" class="h-bad" role="status">Status unavailable: ${error}</p>`}
  </section>`;
}
