/** Chromium for the browser tests: Debian's package, launched headless by playwright-core. */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { defaultWebDirs, loadWebBuild } from '../../plugins/jobs/dashboard/files.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export const browserMissing = (): string | null =>
  existsSync(CHROMIUM)
    ? null
    : `${CHROMIUM} is absent: install it with \`apt-get install -y chromium\` (.ci/run does, as root)`;

/**
 * The environment without libfaketime: CI runs the suite with a shifted clock (`LD_PRELOAD`),
 * under which chromium hangs. The page only shows times; tokens are checked by Spout's clock.
 */
function realClockEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && key !== 'LD_PRELOAD' && !key.startsWith('FAKETIME')) env[key] = value;
  return env;
}

/** Launch headless chromium (as root, so without its sandbox). Never downloads a browser. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env: realClockEnv(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

/**
 * Record what must never happen on the page: console errors, uncaught errors and CSP
 * violations (reported by a listener installed before the page's own scripts).
 */
export async function watchProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.exposeFunction('__spoutCspViolation', (text: string) => problems.push(`CSP: ${text}`));
  // A string, not a function: the tests are type-checked without the DOM library.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) =>
    window.__spoutCspViolation(e.violatedDirective + ' blocked ' + e.blockedURI));`);
  return problems;
}

/** Where the browser tests save screenshots (git-ignored). */
export const SHOTS = new URL('../../test-results/', import.meta.url).pathname;

/**
 * Run axe-core in the page and return its serious and critical violations as lines
 * (`rule: help (n nodes)`). axe is evaluated through the DevTools protocol, which the page's
 * CSP does not govern, so injecting it is not itself a violation.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const { source } = (await import('axe-core')).default;
  await page.evaluate(source);
  const result = await page.evaluate<{ id: string; impact: string; help: string; nodes: unknown[] }[]>(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))",
  );
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${JSON.stringify(v.nodes.slice(0, 3))}`);
}

/** Why the dashboard's browser tests cannot run here (no chromium, or no build), or null. */
export function dashboardTestsMissing(): string | null {
  const built = defaultWebDirs().some((dir) => {
    try {
      return Boolean(loadWebBuild([dir]));
    } catch {
      return false;
    }
  });
  const missing = browserMissing() ?? (built ? null : 'the dashboard is not built: run `npm run build`');
  if (missing) console.warn(`dashboard browser tests skipped: ${missing}`);
  return missing;
}
