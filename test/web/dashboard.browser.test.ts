/**
 * The dashboard in a real browser (Debian's chromium): sign-in by `#token=`, back-fill, live rows
 * moving from Pending to Settled, a revoked or expired token back at sign-in with the reason. No
 * console error and no CSP violation on the way. Screenshots go to test-results/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultWebDirs, loadWebBuild } from '../../plugins/jobs/dashboard/files.js';
import type { WhaleSignal } from '../../src/bus/events.js';
import { startSpout } from '../helpers/ws/server.js';
import { txidOf, whale } from '../helpers/ws/whales.js';
import { browserMissing, launchChromium, watchProblems } from './browser.js';

// Page-side code is given as strings: the tests are type-checked without the DOM library.
const STORED_TOKEN = "sessionStorage.getItem('spout.token')";
const SHOTS = new URL('../../test-results/', import.meta.url).pathname;
const built = defaultWebDirs().some((dir) => {
  try {
    return Boolean(loadWebBuild([dir]));
  } catch {
    return false;
  }
});
const missing = browserMissing() ?? (built ? null : 'the dashboard is not built: run `npm run build`');
if (missing) console.warn(`dashboard browser tests skipped: ${missing}`);

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

  const signIn = async (token: string) => {
    await page.goto(`${s.base}/#token=${token}`);
    await page.locator('#feed-state', { hasText: 'Live' }).waitFor();
  };
  const row = (table: 'pending' | 'settled', n: number) =>
    page.locator(`#${table} tr[data-txid="${txidOf(n)}"]`);
  const publish = async (...args: Parameters<typeof s.kernel.bus.publish>) => {
    s.kernel.bus.publish(...args);
    await s.kernel.bus.drain();
  };

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
    expect(await live.innerText()).toContain('1 block');

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
    await signIn(token);
    const jti = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti as string;
    const { hub, release } = await s.kernel.tokens.join();
    try {
      hub.revoke(jti);
    } finally {
      release();
    }
    await page.locator('#signin-reason', { hasText: 'token revoked' }).waitFor();
    expect(await page.evaluate(STORED_TOKEN)).toBeNull();
  });

  it('returns to sign-in with the reason when the token has expired', async () => {
    const token = await s.token({ now: new Date(Date.now() - 7_200_000), ttlMs: 3_600_000 });
    await page.goto(`${s.base}/#token=${token}`);
    await page.locator('#signin-reason', { hasText: /expired/ }).waitFor();
  });
});
