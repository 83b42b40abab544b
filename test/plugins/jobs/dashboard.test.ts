/** The dashboard job over real HTTP: the page, its hashed assets, the headers, the 404s. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../plugins/jobs/dashboard/index.js';
import { defaultWebDirs, loadWebBuild } from '../../../plugins/jobs/dashboard/files.js';
import { startSpout } from '../../helpers/ws/server.js';

const built = defaultWebDirs().some((dir) => {
  try {
    loadWebBuild([dir]);
    return true;
  } catch {
    return false;
  }
});

const expectSecurityHeaders = (res: Response) => {
  expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
};

describe.skipIf(!built)('dashboard job (needs `npm run build`)', () => {
  let s: Awaited<ReturnType<typeof startSpout>>;
  beforeAll(async () => {
    s = await startSpout('jobs:\n  dashboard: { use: dashboard }\n  api: { use: api }');
  });
  afterAll(() => s?.stop());

  it('serves index.html at / with no-store, a strict CSP, nosniff and no referrer', async () => {
    const res = await fetch(`${s.base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expectSecurityHeaders(res);
    const html = await res.text();
    expect(html).toMatch(/<script type="module" src="assets\/app-[A-Z0-9]+\.js"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" href="assets\/app-[A-Z0-9]+\.css">/);
    expect(html).not.toMatch(/<script>|<style|style=|https?:\/\//);
  });

  it('serves each hashed asset with its type and a year of immutable caching', async () => {
    const html = await (await fetch(`${s.base}/`)).text();
    const names = [...html.matchAll(/assets\/(app-[A-Z0-9]+\.(js|css))/g)];
    expect(names).toHaveLength(2);
    for (const [, name, ext] of names) {
      const res = await fetch(`${s.base}/assets/${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        ext === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      );
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expectSecurityHeaders(res);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
  });

  it('answers 404 for an unknown asset (with the same headers) and for unknown paths', async () => {
    for (const path of ['/assets/app-NOPE.js', '/assets/..%2Findex.html', '/assets/']) {
      const res = await fetch(`${s.base}${path}`);
      expect(res.status, path).toBe(404);
      if (path !== '/assets/') expectSecurityHeaders(res);
    }
    expect((await fetch(`${s.base}/nope`)).status).toBe(404);
  });

  it('leaves /health, /api and /ws to their owners', async () => {
    expect((await fetch(`${s.base}/health`)).status).toBe(200);
    const api = await fetch(`${s.base}/api/whales`);
    expect(api.status).toBe(401);
    expect(api.headers.get('content-security-policy')).toBeNull();
  });
});

describe('dashboard job without a build', () => {
  it('fails its setup saying to run npm run build', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'spout-web-'));
    try {
      await expect(
        startSpout(`jobs:\n  dashboard: { use: dashboard, dir: ${JSON.stringify(empty)} }`),
      ).rejects.toThrow(/dashboard is not built .*run `npm run build`/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
