// Bundles the dashboard (web/) into dist/web/: content-hashed assets under assets/ and an
// index.html that references them. Everything the page needs is in the package: no CDN.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/web`;
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: ['web/app.js'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  outdir: `${out}/assets`,
  entryNames: 'app-[hash]',
  assetNames: 'app-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((n) => n.endsWith('.js'));
const css = outputs.find((n) => n.endsWith('.css'));
if (!js || !css) throw new Error(`build-web: expected one .js and one .css, got ${outputs.join(', ')}`);

// No inline script or style: the page runs under script-src 'self' and style-src 'self'.
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Spout — whale alerts</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/${css}">
<script type="module" src="assets/${js}"></script>
</head>
<body>
<div id="app"><noscript>The Spout dashboard needs JavaScript.</noscript></div>
</body>
</html>
`;
writeFileSync(`${out}/index.html`, html);

const gz = (name) => gzipSync(readFileSync(`${out}/assets/${name}`), { level: 9 }).length;
const total = gz(js) + gz(css);
console.log(`build-web: ${js} + ${css}, ${(total / 1024).toFixed(1)} KB gzipped`);
