/**
 * The dashboard in a real browser (Debian's chromium): sign-in by `#token=`, back-fill, live rows
 * moving from Pending to Settled, a revoked or expired token back at sign-in with the reason. No
 * console error and no CSP violation on the way. Screenshots go to test-results/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WhaleSignal } from '../../src/bus/events.js';
import { startSpout } from '../helpers/ws/server.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { txidOf, whale } from '../helpers/ws/whales.js';
import { SHOTS, dashboardTestsMissing, launchChromium, watchProblems } from './browser.js';

// Page-side code is given as strings: the tests are type-checked without the DOM library.
const STORED_TOKEN = "sessionStorage.getItem('spout.token')";
const missing = dashboardTestsMissing();

/** A whale as the full detector chain annotates it. */
const annotated = (n: number): WhaleSignal => ({
  ...whale(n, 1_250 + n),
  valueUsd: 118_000_000,
  urgency: { score: 0.4, level: 'medium', predictedBlocks: 3, basis: 'projected-blocks' },
  eta: { blocks: 3, p10Minutes: 11, p50Minutes: 27, p90Minutes: 53 },
  rbf: { signaling: true, replaces: [] },
  flow: { type: 'inflow', from: null, to: 'Binance' },
  transferredSats: 250e8,
  changeRule: 'exchange',
});

describe.skipIf(missing !== null)(`dashboard in chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let s: Awaited<ReturnType<typeof startSpout>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    s = await startSpout(
      [
        'outputs:',
        '  live: { use: websocket }',
        'jobs:',
        '  correlation: { use: correlation }',
        '  api: { use: api }',
        '  dashboard: { use: dashboard }',
      ].join('\n'),
    );
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    problems = await watchProblems(page);
  });
  afterEach(async () => {
    await context.close();
    expect(problems).toEqual([]);
  });

  const signIn = async (token: string, base = s.base, query = '') => {
    await page.goto(`${base}/${query}#token=${token}`);
    await page.locator('#feed-state', { hasText: 'Live' }).waitFor();
  };
  const row = (table: 'pending' | 'settled', n: number) =>
    page.locator(`#${table} tr[data-txid="${txidOf(n)}"]`);
  const publish = async (...args: Parameters<typeof s.kernel.bus.publish>) => {
    s.kernel.bus.publish(...args);
    await s.kernel.bus.drain();
  };
  const outflow = (n: number): WhaleSignal => ({
    ...annotated(n),
    flow: { type: 'outflow', from: 'Coinbase', to: null },
  });
  /** A whale detected now (the correlation job settles whales detected long ago as dropped). */
  const fresh = (n: number): WhaleSignal => {
    const now = new Date(Date.now() + n).toISOString();
    return { ...annotated(n), firstSeen: now, detectedAt: now };
  };
  /** How many rows of the page show `n` (both tables). */
  const rowsOf = (n: number) => page.locator(`tr[data-txid="${txidOf(n)}"]`).count();

  it('signs in from #token=, back-fills, and moves a whale from Pending to Settled live', async () => {
    await publish('whale.detected', annotated(1), 'test'); // before the page: comes by back-fill
    const token = await s.token({ sub: 'desk' });
    await signIn(token);
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.evaluate(STORED_TOKEN)).toBe(token);
    await row('pending', 1).waitFor();

    await publish('whale.detected', annotated(2), 'test');
    const live = row('pending', 2);
    await live.waitFor();
    const text = await live.innerText();
    expect(text).toContain('BTC');
    // In the alerts' words, and what really moved beside the total.
    expect(text).toContain('unknown wallet → Binance (inflow)');
    expect(text).toMatch(/~250(\.00)? BTC transferred/);
    expect(text).toContain('RBF');
    expect(text).toContain('medium');

    await publish(
      'whale.updated',
      {
        txid: txidOf(2),
        urgency: { score: 0.9, level: 'critical', predictedBlocks: 1, basis: 'projected-blocks' },
        eta: { blocks: 1, p10Minutes: 1, p50Minutes: 7, p90Minutes: 23 },
      },
      'test',
    );
    await live.locator('.u-critical').waitFor();
    expect(await live.innerText()).toContain('next block: ~7 min (1–23 min)');

    await page.screenshot({ path: `${SHOTS}dashboard-1440x900-light.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${SHOTS}dashboard-1440x900-dark.png`, fullPage: true });
    await page.setViewportSize({ width: 360, height: 780 });
    await page.screenshot({ path: `${SHOTS}dashboard-360x780-dark.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: `${SHOTS}dashboard-360x780-light.png`, fullPage: true });
    // Phone width: no horizontal scrolling.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);

    await publish(
      'whale.confirmed',
      { txid: txidOf(2), height: 870_002, blocksWaited: 2, minutesWaited: 17, predictedBlocks: 1 },
      'test',
    );
    await row('settled', 2).waitFor();
    await row('pending', 2).waitFor({ state: 'detached' });
    expect(await row('settled', 2).innerText()).toMatch(/confirmed[\s\S]*2 blocks · 17 min/);
    await expect(row('pending', 1).count()).resolves.toBe(1);
  });

  it('would notice a CSP violation (the watcher works)', async () => {
    await page.goto(`${s.base}/`);
    await page.getByLabel('Token').waitFor();
    // An inline style, refused by style-src 'self'.
    await page.evaluate(
      "{ const s = document.createElement('style'); s.textContent = 'body { color: red }'; document.head.append(s); }",
    );
    await expect.poll(() => problems.some((p) => p.startsWith('CSP: style-src'))).toBe(true);
    problems.length = 0;
  });

  it('signs in with the form and signs out', async () => {
    await page.goto(`${s.base}/`);
    await page.getByLabel('Token').fill(await s.token());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#feed-state', { hasText: 'Live' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
    expect(await page.evaluate(STORED_TOKEN)).toBeNull();
  });

  it('returns to sign-in with the reason when the token is revoked', async () => {
    const token = await s.token({ sub: 'leaked' });
    // Revoked once the page's first polls are answered: a poll in flight then would meet the
    // revocation as a 401 (which the browser logs) before the WebSocket is closed.
    const polled = Promise.all(
      ['api/status', 'api/stats'].map((path) => page.waitForResponse((r) => r.url().includes(path))),
    );
    await signIn(token);
    await polled;
    const jti = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti as string;
    const { hub, release } = await s.kernel.tokens.join();
    try {
      hub.revoke(jti);
    } finally {
      release();
    }
    await page.locator('#signin-reason', { hasText: 'token revoked' }).waitFor();
    expect(await page.evaluate(STORED_TOKEN)).toBeNull();
    // A request already on its way (a back-fill, the next poll) may meet the revocation as the
    // 401 it is, which the browser logs; the page answers it as above. Nothing else may show.
    const other = problems.filter((p) => !/status of 401 \(Unauthorized\)/.test(p));
    problems.splice(0, problems.length, ...other);
  });

  it('returns to sign-in with the reason when the token has expired', async () => {
    const token = await s.token({ now: new Date(Date.now() - 7_200_000), ttlMs: 3_600_000 });
    await page.goto(`${s.base}/#token=${token}`);
    await page.locator('#signin-reason', { hasText: /expired/ }).waitFor();
  });
  it('filters the rows, the subscription and the back-fill, and keeps the filter in the URL over a reload', async () => {
    await publish('whale.detected', outflow(10), 'test');
    await publish('whale.detected', annotated(11), 'test');
    await signIn(await s.token());
    await row('pending', 10).waitFor();
    await row('pending', 11).waitFor();

    await page.getByRole('checkbox', { name: 'inflow' }).check();
    await row('pending', 10).waitFor({ state: 'detached' });
    await page.locator('#feed-state', { hasText: 'Live' }).waitFor();
    await row('pending', 11).waitFor();
    expect(new URL(page.url()).search).toBe('?flow=inflow');

    // Live: the subscription carries the filter, so the outflow never reaches the page.
    await publish('whale.detected', outflow(12), 'test');
    await publish('whale.detected', annotated(13), 'test');
    await row('pending', 13).waitFor(); // sent after 12 on the same socket
    expect(await rowsOf(12)).toBe(0);

    await page.reload();
    await page.locator('#feed-state', { hasText: 'Live' }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'inflow' }).isChecked()).toBe(true);
    await row('pending', 13).waitFor();
    await row('pending', 11).waitFor();
    expect([await rowsOf(10), await rowsOf(12)]).toEqual([0, 0]);

    // A shared link with several conditions opens filtered.
    await page.goto(`${s.base}/?minBtc=1263&flow=inflow,outflow`);
    await page.locator('#feed-state', { hasText: 'Live' }).waitFor();
    await row('pending', 13).waitFor();
    expect(await page.locator('#filter-min-btc').inputValue()).toBe('1263');
    expect([await rowsOf(10), await rowsOf(11), await rowsOf(12)]).toEqual([0, 0, 0]);
    await page.locator('#filter-clear').click();
    await row('pending', 10).waitFor();
    expect(new URL(page.url()).search).toBe('');
  });

  it('reconnects after the connection drops and shows every whale exactly once', async () => {
    const proxy = await startTcpProxy(s.port);
    try {
      await signIn(await s.token(), `http://127.0.0.1:${proxy.port}`);
      for (const n of [20, 21, 22]) await publish('whale.detected', fresh(n), 'test');
      for (const n of [20, 21, 22]) await row('pending', n).waitFor();

      proxy.dropAll();
      await page.locator('#feed-state', { hasText: 'Reconnecting' }).waitFor();
      // While the page is cut off: new whales, and the block that confirms one it already shows
      // (the correlation job settles it and stores the outcome).
      for (const n of [23, 24, 25]) await publish('whale.detected', fresh(n), 'test');
      await publish(
        'block.connected',
        { height: 870_010, hash: 'c'.repeat(64), time: new Date().toISOString(), txids: [txidOf(20)] },
        'test',
      );
      await page.locator('#feed-state', { hasText: 'Live' }).waitFor();
      for (const n of [23, 24, 25]) await row('pending', n).waitFor();
      await row('settled', 20).waitFor();
      // And live again after the reconnection.
      await publish('whale.detected', fresh(26), 'test');
      await row('pending', 26).waitFor();
      for (const n of [20, 21, 22, 23, 24, 25, 26]) expect(await rowsOf(n), `whale ${n}`).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('holds new whales behind an "N new" pill while scrolled down, and loads older whales by cursor', async () => {
    // More than one back-fill page (500): the oldest 20 come by "load older".
    for (let n = 100; n < 620; n++) s.kernel.bus.publish('whale.detected', whale(n, 150), 'test');
    await s.kernel.bus.drain();
    await signIn(await s.token());
    await row('pending', 619).waitFor();
    expect(await rowsOf(100)).toBe(0);
    await page.locator('#load-older').click();
    await row('pending', 100).waitFor();
    // All 520 once each, the older ones beyond the 500-row bound too.
    const shown = await page.evaluate<number>(
      `new Set([...document.querySelectorAll('#pending tbody tr')].map((r) => r.dataset.txid).filter((t) => parseInt(t, 16) >= ${0xb000 + 100} && parseInt(t, 16) < ${0xb000 + 620})).size`,
    );
    expect(shown).toBe(520);
    expect(await rowsOf(100)).toBe(1);

    await page.evaluate('window.scrollTo(0, 3000)');
    await expect.poll(() => page.evaluate<number>('window.scrollY')).toBeGreaterThan(2000);
    await page.waitForFunction('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    await publish('whale.detected', whale(700, 150), 'test');
    await page.locator('#new-pill', { hasText: '1 new whale' }).waitFor();
    expect(await rowsOf(700)).toBe(0);
    await page.locator('#new-pill').click();
    await row('pending', 700).waitFor();
    expect(await page.evaluate<number>('window.scrollY')).toBe(0);
    await page.locator('#new-pill').waitFor({ state: 'detached' });
  });
});
