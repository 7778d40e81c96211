#!/usr/bin/env node
// Bundles the web UI (ui/src) with esbuild into dist/ui: index.html plus content-hashed files under
// dist/ui/assets, everything local (no CDN). Run by `npm run build`, `prepare` and `pretest`.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'ui');
const dev = process.argv.includes('--dev');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'src', 'main.ts') },
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: !dev,
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([, o]) => o.entryPoint !== undefined && o.entryPoint.endsWith('main.ts'));
if (entry === undefined) throw new Error('ui/build.mjs: no entry output');
const js = basename(entry[0]);
const css = entry[1].cssBundle !== undefined ? basename(entry[1].cssBundle) : null;
const tags = [
  css !== null ? `<link rel="stylesheet" href="/assets/${css}">` : '',
  `<script type="module" src="/assets/${js}"></script>`,
].filter((t) => t !== '').join('\n    ');
const html = readFileSync(join(here, 'index.html'), 'utf8').replace('<!-- assets -->', tags);
writeFileSync(join(out, 'index.html'), html);
const bytes = outputs.filter(([p]) => !p.endsWith('.map')).reduce((n, [, o]) => n + o.bytes, 0);
console.log(`ui: dist/ui (${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB without source maps)`);
