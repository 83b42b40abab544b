import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
// @ts-expect-error web/ is plain JS bundled for the browser, outside the type-checked sources.
import * as health from '../../web/health.js';
// @ts-expect-error as above
import * as poll from '../../web/poll.js';

// The dashboard's health strip (web/health.js) and its poller (web/poll.js), without a browser: the strip's
// elements are read from the virtual DOM it returns, fetch and document are stand-ins.

interface VNode {
  type: string | ((props: unknown) => unknown);
  props: Record<string, unknown> & { children?: unknown };
}
interface Shown {
  tag: string;
  cls: string | undefined;
  title: string | undefined;
  text: string;
}
const { HealthStrip } = health as { HealthStrip(props: { status: unknown; error?: string | null }): VNode };
const { createPoller } = poll as {
  createPoller(o: {
    path: string;
    token: string;
    intervalMs?: number;
    onData(s: unknown): void;
    onAuthFailure(message: string): void;
    onError?(message: string): void;
  }): { stop(): void; soon(ms: number): void };
};

const isNode = (v: unknown): v is VNode => typeof v === 'object' && v !== null && 'props' in v;
const textOf = (v: unknown): string =>
  Array.isArray(v)
    ? v.map(textOf).join('')
    : isNode(v)
      ? textOf(typeof v.type === 'function' ? v.type(v.props) : v.props.children)
      : typeof v === 'string' || typeof v === 'number'
        ? String(v)
        : '';

/** The elements with an id, by id, and the root. */
function render(props: { status: unknown; error?: string | null }) {
  const byId: Record<string, Shown> = {};
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isNode(v)) return;
    if (typeof v.type === 'function') return walk(v.type(v.props));
    const {
      id,
      class: cls,
      title,
      children,
    } = v.props as Record<string, string | undefined> & {
      children?: unknown;
    };
    if (id)
      byId[id] = { tag: v.type, cls: cls ?? undefined, title: title ?? undefined, text: textOf(children) };
    walk(children);
  };
  const root = HealthStrip(props);
  walk(root);
  return { root, byId };
}

const STATUS = {
  now: '2026-11-21T10:04:30.000Z',
  inputs: [{ name: 'feed', state: 'connected', reason: null, since: '2026-11-21T09:00:00.000Z' }],
  block: { height: 870_001, at: '2026-11-21T10:00:00.000Z', ageSeconds: 270 },
  mempool: { count: 43_000, vsize: 31_000_000, at: '2026-11-21T10:04:29.000Z' },
  process: {
    rssBytes: 120 * 2 ** 20,
    heapUsedBytes: 60 * 2 ** 20,
    limitBytes: 2 * 2 ** 30,
    limitSource: 'cgroup',
    eventLoopLagMs: { p50: 0.4, p99: 3.2, max: 41 },
  },
};

describe('web/health.js: the strip', () => {
  it('a labelled section with one element per figure, stable ids', () => {
    const { root, byId } = render({ status: STATUS });
    expect(root.type).toBe('section');
    expect(root.props).toMatchObject({ class: 'health', 'aria-label': 'Health' });
    const texts = Object.fromEntries(Object.entries(byId).map(([id, e]) => [id, e.text]));
    // Intl with the test's locale: digits grouped as it groups them.
    const n = (x: number) => new Intl.NumberFormat(undefined).format(x);
    expect(texts).toEqual({
      'health-input': 'input connected',
      'health-block': `block ${n(870_001)} · 4 min ago`,
      'health-mempool': `mempool ${n(43_000)} tx`,
      'health-memory': 'RSS 120 MB of 2 GB',
      'health-lag': 'lag 3.2 ms',
    });
    expect(byId['health-input']?.cls).toBe('h-ok');
    expect(byId['health-memory']?.title).toMatch(/heap 60 MB in use; limit: container/);
    expect(byId['health-lag']?.title).toMatch(/median 0\.4 ms, 99th percentile 3\.2 ms, max 41 ms/);
  });

  it('the input state classed ok, warn or bad, with its reason; several inputs by name, classed by the worst', () => {
    const shown = (inputs: unknown[]) => render({ status: { ...STATUS, inputs } }).byId['health-input'];
    const input = (name: string, state: string, reason: string | null = null) => ({
      name,
      state,
      reason,
      since: STATUS.now,
    });
    expect(shown([input('feed', 'connecting')])).toMatchObject({ cls: 'h-warn', text: 'input connecting' });
    expect(shown([input('feed', 'degraded', 'no frame for 60 s')])).toMatchObject({
      cls: 'h-warn',
      text: 'input degraded: no frame for 60 s',
    });
    expect(shown([input('feed', 'disconnected', 'ECONNREFUSED')])).toMatchObject({ cls: 'h-bad' });
    expect(shown([input('feed', 'connected'), input('backup', 'disconnected', 'closed')])).toMatchObject({
      cls: 'h-bad',
      text: 'feed connected · backup disconnected: closed',
    });
    expect(shown([])).toMatchObject({ cls: 'h-warn', text: 'input: no report yet' });
  });

  it('before the first answer, and figures not known yet: dashes; an error is shown', () => {
    const empty = render({ status: null, error: null }).byId;
    expect(Object.keys(empty)).toEqual([
      'health-input',
      'health-block',
      'health-mempool',
      'health-memory',
      'health-lag',
    ]);
    expect(Object.values(empty).every((e) => e.text.endsWith('—'))).toBe(true);
    const partial = render({
      status: { ...STATUS, block: null, mempool: null, process: { ...STATUS.process, eventLoopLagMs: null } },
      error: 'HTTP 503',
    }).byId;
    expect([
      partial['health-block']?.text,
      partial['health-mempool']?.text,
      partial['health-lag']?.text,
    ]).toEqual(['block —', 'mempool —', 'lag —']);
    expect(partial['health-error']).toMatchObject({ cls: 'h-bad', text: 'Status unavailable: HTTP 503' });
  });
});

describe('web/poll.js: the poller', () => {
  let listeners: Record<string, () => void>;
  let doc: { hidden: boolean };
  let answers: Array<{ status: number; body: unknown } | Error>;
  let requests: Array<{ url: string; init: RequestInit }>;

  beforeEach(() => {
    vi.useFakeTimers();
    listeners = {};
    doc = { hidden: false };
    answers = [];
    requests = [];
    vi.stubGlobal('document', {
      get hidden() {
        return doc.hidden;
      },
      addEventListener: (type: string, fn: () => void) => void (listeners[type] = fn),
      removeEventListener: (type: string) => void delete listeners[type],
    });
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      const next = answers.shift() ?? { status: 200, body: STATUS };
      if (next instanceof Error) throw next;
      return new Response(JSON.stringify(next.body), { status: next.status });
    });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const start = (o: { intervalMs?: number } = {}) => {
    const seen = { statuses: [] as unknown[], auth: [] as string[], errors: [] as string[] };
    const poller = createPoller({
      path: 'api/status',
      token: 'tok',
      ...o,
      onData: (s) => seen.statuses.push(s),
      onAuthFailure: (m) => seen.auth.push(m),
      onError: (m) => seen.errors.push(m),
    });
    return { poller, seen };
  };

  it('fetches api/status at once and then every interval, with the token and no cache; not while hidden', async () => {
    const { poller, seen } = start({ intervalMs: 1000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(requests).toEqual([
      { url: 'api/status', init: { headers: { authorization: 'Bearer tok' }, cache: 'no-store' } },
    ]);
    expect(seen.statuses).toEqual([STATUS]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(requests).toHaveLength(3);
    doc.hidden = true;
    await vi.advanceTimersByTimeAsync(5000);
    expect(requests).toHaveLength(3);
    doc.hidden = false;
    listeners.visibilitychange?.(); // shown again: at once
    await vi.advanceTimersByTimeAsync(0);
    expect(requests).toHaveLength(4);
    poller.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(requests).toHaveLength(4);
    expect(listeners.visibilitychange).toBeUndefined();
  });

  it('the default interval is 10 s', async () => {
    const { poller } = start();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests).toHaveLength(2);
    poller.stop();
  });

  it('401 or 403: onAuthFailure with the message, and no more polls; other failures: onError, polling goes on', async () => {
    answers.push({ status: 503, body: {} }, new Error('network down'), {
      status: 429,
      body: { error: 'rate_limited', message: 'Too many requests from this address; retry in 3 s.' },
    });
    answers.push({
      status: 403,
      body: { error: 'forbidden', message: 'This token lacks the api:read scope.' },
    });
    const { seen } = start({ intervalMs: 1000 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen.errors).toEqual([
      'HTTP 503',
      'network down',
      'Too many requests from this address; retry in 3 s.',
    ]);
    expect(seen.auth).toEqual(['This token lacks the api:read scope.']);
    expect(requests).toHaveLength(4);
    expect(seen.statuses).toEqual([]);
  });

  it('after a failure retries sooner than the interval: Retry-After, else 2 s doubling; back to the interval on success', async () => {
    const at: number[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      at.push(Date.now());
      const next = answers.shift() ?? { status: 200, body: STATUS };
      if (next instanceof Error) throw next;
      const headers = next.status === 429 ? { 'retry-after': '5' } : undefined;
      return new Response(JSON.stringify(next.body), { status: next.status, headers });
    });
    answers.push({ status: 503, body: {} }, new Error('network down'), { status: 429, body: {} });
    const t0 = Date.now();
    const { poller, seen } = start({ intervalMs: 60_000 });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(at.map((t) => t - t0)).toEqual([0, 2_000, 6_000, 11_000]);
    expect(seen.errors).toEqual(['HTTP 503', 'network down', 'HTTP 429']);
    expect(seen.statuses).toEqual([STATUS]);
    await vi.advanceTimersByTimeAsync(40_000); // the regular poll at 60 s, nothing between
    expect(at.map((t) => t - t0)).toEqual([0, 2_000, 6_000, 11_000, 60_000]);
    poller.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(requests).toHaveLength(5);
  });

  it('a page that starts hidden polls within a second of being shown, even without a visibilitychange', async () => {
    doc.hidden = true;
    const { poller } = start({ intervalMs: 60_000 });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(requests).toHaveLength(0);
    doc.hidden = false; // no event
    await vi.advanceTimersByTimeAsync(1_000);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000); // then the interval as usual
    expect(requests).toHaveLength(1);
    poller.stop();
  });

  it('a failed poll is not retried after stop, nor later than the next regular poll', async () => {
    answers.push({ status: 503, body: {} });
    const { poller } = start({ intervalMs: 60_000 });
    await vi.advanceTimersByTimeAsync(0);
    poller.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(requests).toHaveLength(1);
  });
  it('soon(ms): one more poll that long after, however often asked meanwhile; none after stop', async () => {
    const { poller } = start({ intervalMs: 60_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(requests).toHaveLength(1);
    poller.soon(2_000);
    await vi.advanceTimersByTimeAsync(1_000);
    poller.soon(2_000); // a second whale settled in the same burst
    await vi.advanceTimersByTimeAsync(999);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(requests).toHaveLength(2);
    poller.soon(2_000);
    poller.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(requests).toHaveLength(2);
  });
});
