/**
 * Issue 16, acceptance: the dashboard in chromium on a whole pipeline fed by the fake
 * mempool.space server with real mainnet data (block 277647's whales, real RBF pairs scaled to
 * whale size). Rows arrive live, a whale moves from Pending to Settled when its block arrives,
 * a replacement shows its badge and the link between the two, and the page passes axe-core.
 * Screenshots of this real-data view go to test-results/ (docs/dashboard.png is one of them).
 */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMempool, isTrackMempool, type FakeMempool } from '../helpers/fake-mempool.js';
import { hasFixtures, loadBlock277647, loadRbfPairs, scaleTx, type EsploraTx } from '../helpers/fixtures.js';
import { startSpout } from '../helpers/ws/server.js';
import {
  SHOTS,
  dashboardTestsMissing,
  launchChromium,
  seriousA11yViolations,
  watchProblems,
} from './browser.js';

const missing = dashboardTestsMissing() ?? (hasFixtures ? null : 'the shared fixtures are absent');
const valueOf = (tx: EsploraTx) => tx.vout.reduce((s, o) => s + o.value, 0);

describe.skipIf(missing !== null)(
  'dashboard acceptance on the fake mempool.space server with real data',
  () => {
    let fake: FakeMempool;
    let s: Awaited<ReturnType<typeof startSpout>>;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      fake = await startFakeMempool();
      s = await startSpout(
        [
          'inputs:',
          `  feed: { use: mempool, url: "${fake.url}" }`,
          'detectors:',
          '  whales: { use: whale, thresholdBtc: 50 }',
          '  urgency: { use: urgency }',
          '  rbf: { use: rbf }',
          '  flow: { use: flow, labels: builtin }',
          'outputs:',
          '  live: { use: websocket }',
          'jobs:',
          '  correlation: { use: correlation }',
          '  api: { use: api }',
          '  dashboard: { use: dashboard }',
        ].join('\n'),
      );
      await fake.waitForMessage(isTrackMempool());
      fake.pushBlock({ id: 'a'.repeat(64), height: 900_000, timestamp: Math.floor(Date.now() / 1000) }, []);
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
      page = await context.newPage();
      problems = await watchProblems(page);
      mkdirSync(SHOTS, { recursive: true });
    });
    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await s?.stop();
      await fake?.close();
    });

    const row = (table: 'pending' | 'settled', txid: string) =>
      page.locator(`#${table} tr[data-txid="${txid}"]`);

    it(
      'shows live whales, settles them from blocks and replacements, and passes axe-core',
      { timeout: 60_000 },
      async () => {
        await page.goto(`${s.base}/#token=${await s.token({ sub: 'desk' })}`);
        await page.locator('#feed-state', { hasText: 'Live' }).waitFor();

        const whales = loadBlock277647().filter((t) => valueOf(t) >= 50e8);
        expect(whales.length).toBeGreaterThan(3);
        fake.pushMempool({ added: whales });
        for (const w of whales) await row('pending', w.txid).waitFor();
        expect(await page.locator('#pending tbody tr').count()).toBe(whales.length);

        // A real RBF pair, scaled above the threshold: the replaced whale, then its replacement.
        const pair = loadRbfPairs()[0]!;
        const factor = Math.ceil(150e8 / valueOf(pair.replaced));
        const replaced = scaleTx(pair.replaced, factor);
        const by = scaleTx(pair.by, factor);
        fake.pushMempool({ added: [replaced] });
        await row('pending', replaced.txid).waitFor();
        fake.pushMempool({ replaced: [{ replaced: replaced.txid, by }] });
        const replacement = row('pending', by.txid);
        await replacement.waitFor();
        await replacement.locator('.replaces').waitFor();
        expect(await replacement.locator('.replaces a').getAttribute('href')).toBe(`#tx-${replaced.txid}`);
        const gone = row('settled', replaced.txid);
        await gone.waitFor();
        expect(await gone.innerText()).toContain('replaced');
        expect(await gone.locator('a.row-link').getAttribute('href')).toBe(`#tx-${by.txid}`);

        // The first whale is mined in the next block: it moves to Settled, confirmed after one block.
        const mined = whales[0]!;
        fake.pushBlock({ id: 'b'.repeat(64), height: 900_001, timestamp: Math.floor(Date.now() / 1000) }, [
          mined.txid,
        ]);
        await row('settled', mined.txid).waitFor();
        await row('pending', mined.txid).waitFor({ state: 'detached' });
        const settled = await row('settled', mined.txid).innerText();
        expect(settled).toContain('confirmed');
        expect(settled).toMatch(/1 block/);
        expect(await row('settled', mined.txid).getAttribute('class')).toContain('moved');

        // A whale settled: the page asks /api/stats again within seconds (not at the next
        // minute's poll), and the accuracy chart draws without a reload.
        await page.locator('#chart-accuracy canvas').waitFor({ timeout: 15_000 });

        // The health strip (polled every 10 s: a reload polls at once) and the charts. The
        // accuracy chart draws from /api/stats, which the page polls at once and then once a
        // minute: the reload waits until the API has scored the settled whales (the feed can show
        // a whale settled a moment before the job has recorded its outcome).
        const scored = async () => {
          const res = await fetch(`${s.base}/api/stats?since=30d`, {
            headers: { authorization: `Bearer ${await s.token({ sub: 'desk' })}` },
          });
          const body = (await res.json()) as { total?: { accuracy?: unknown } };
          return typeof body.total?.accuracy === 'number';
        };
        const deadline = Date.now() + 20_000;
        while (!(await scored())) {
          if (Date.now() > deadline) throw new Error('/api/stats never scored the settled whales');
          await new Promise((r) => setTimeout(r, 100));
        }
        await page.reload();
        await page.locator('#health-input', { hasText: 'connected' }).waitFor();
        await page.locator('#health-block', { hasText: /900.?001/ }).waitFor();
        await page.locator('#chart-volume canvas').waitFor();
        // On a timeout, say what the page had and what the API answers now.
        await page
          .locator('#chart-accuracy canvas')
          .waitFor()
          .catch(async (error: Error) => {
            const visibility = await page.evaluate('document.visibilityState');
            const res = await fetch(`${s.base}/api/stats?since=30d`, {
              headers: { authorization: `Bearer ${await s.token({ sub: 'desk' })}` },
            });
            throw new Error(
              `${error.message}\nvisibility: ${visibility}\n/api/stats now: ${res.status} ${(await res.text()).slice(0, 600)}\npage problems: ${JSON.stringify(problems)}`,
            );
          });
        expect(await page.locator('.charts figure').count()).toBe(3); // net flow: no exchange in a 2013 block, so "No data yet"

        expect(await seriousA11yViolations(page)).toEqual([]);
        await page.screenshot({ path: `${SHOTS}acceptance-1440x900-light.png`, fullPage: true });
        await page.emulateMedia({ colorScheme: 'dark' });
        expect(await seriousA11yViolations(page)).toEqual([]); // contrast in the dark theme too
        await page.screenshot({ path: `${SHOTS}acceptance-1440x900-dark.png`, fullPage: true });
        await page.setViewportSize({ width: 360, height: 780 });
        await page.screenshot({ path: `${SHOTS}acceptance-360x780-dark.png`, fullPage: true });
        await page.emulateMedia({ colorScheme: 'light' });
        await page.screenshot({ path: `${SHOTS}acceptance-360x780-light.png`, fullPage: true });
        expect(await seriousA11yViolations(page)).toEqual([]);
        expect(problems).toEqual([]);
      },
    );
  },
);
