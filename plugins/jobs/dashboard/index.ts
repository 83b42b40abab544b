import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import { defineJob, problemList } from '../../../src/index.js';
import { defaultWebDirs, loadWebBuild } from './files.js';

/**
 * The page's policy: only its own script, style and connections (the API and `/ws` are on the
 * same origin), no inline code, never framed.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const send = (res: ServerResponse, status: number, type: string, cache: string, body: Buffer | string) => {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': cache });
  res.end(body);
};

/**
 * `dashboard`: the live dashboard (docs/dashboard.md) on the shared HTTP server: `GET /` (the
 * page, never cached) and `GET /assets/<name>` (content-hashed, cached for a year). The page
 * itself signs in with a token and uses the `websocket` output and the `api` job.
 */
export default defineJob({
  name: 'dashboard',
  description: 'The live dashboard at / (needs the websocket output and the api job for its data).',
  everyInstance: true,
  options: Type.Object({
    dir: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Folder of the built page (default: the package’s dist/web).',
      }),
    ),
  }),
  resolve: (options, { httpEnabled }) => {
    const problems = problemList();
    if (!httpEnabled)
      problems.add(null, 'serves / on the HTTP server, but http.enabled is false: set http.enabled: true');
    problems.throwIfAny();
    return options;
  },
  setup(ctx) {
    const build = loadWebBuild(ctx.options.dir ? [ctx.options.dir] : defaultWebDirs());
    ctx.http.route('GET', '/', (_req, res) =>
      send(res, 200, 'text/html; charset=utf-8', 'no-store', build.index),
    );
    ctx.http.route('GET', '/assets/:name', (_req, res, params) => {
      const file = build.assets.get(params.name ?? '');
      if (file) send(res, 200, file.type, 'public, max-age=31536000, immutable', file.body);
      else send(res, 404, 'text/plain; charset=utf-8', 'no-store', 'Not found.\n');
    });
    ctx.log.debug({ dir: build.dir, assets: [...build.assets.keys()] }, 'dashboard: serving the built page');
  },
});
