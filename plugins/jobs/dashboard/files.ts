import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One built file, held in memory (the page is a few tens of KB). */
export interface WebFile {
  body: Buffer;
  type: string;
}

/** The built page: `index.html` and the content-hashed assets by name. */
export interface WebBuild {
  dir: string;
  index: Buffer;
  assets: Map<string, WebFile>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * Where `npm run build` puts the page, seen from this module: `dist/web/` is three folders up
 * from `dist/plugins/jobs/dashboard/`; from the sources (tests run the .ts files) it is
 * `dist/web/` beside `plugins/`. The source folder `web/` has no index.html, so it never matches.
 */
export function defaultWebDirs(): string[] {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return [resolve(here, '../../../web'), resolve(here, '../../../dist/web')];
}

/** Load the built page from the first of `dirs` holding an index.html; a missing build is a setup error. */
export function loadWebBuild(dirs: readonly string[]): WebBuild {
  const dir = dirs.find((d) => existsSync(join(d, 'index.html')));
  if (!dir)
    throw new Error(
      `the dashboard is not built (no index.html in ${dirs.join(' or ')}): run \`npm run build\``,
    );
  const assets = new Map<string, WebFile>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir))
    for (const name of readdirSync(assetDir)) {
      const type = TYPES[extname(name)];
      if (type) assets.set(name, { body: readFileSync(join(assetDir, name)), type });
    }
  return { dir, index: readFileSync(join(dir, 'index.html')), assets };
}
