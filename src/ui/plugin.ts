/**
 * The web UI's fastify plugin: serves the assets `npm run build` bundles from ui/ into dist/ui.
 *
 * - Pages (`/`, `/graph`, `/endpoints`) answer dist/ui/index.html, `Cache-Control: no-cache` (so a
 *   new build is picked up at once; the ETag makes the re-check a 304).
 * - `/assets/*` files carry a content hash in their names and are cached for a year, `immutable`.
 * - Every file is read (and gzipped once) at startup; nothing is fetched from a CDN.
 *
 * When dist/ui is missing (the UI was not built), the pages answer 503 with how to build it; the
 * API is unaffected.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../util/log.js';

export interface UiOptions {
  /** Built assets, default <package root>/dist/ui. */
  dir?: string;
  logger?: Logger;
}

/** Client-side routes: each answers index.html and the UI's router picks the page. */
export const UI_PAGES: readonly string[] = ['/', '/graph', '/endpoints'];

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

interface Asset {
  readonly body: Buffer;
  /** Present for text types worth compressing. */
  readonly gzip: Buffer | null;
  readonly type: string;
  readonly etag: string;
  readonly cacheControl: string;
}

/** The package root (the directory holding package.json), from src/ui or dist/src/ui. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

export function defaultUiDir(): string {
  return join(packageRoot(), 'dist', 'ui');
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.isFile()) out.push(p);
  }
}

/** Reads every built file into memory, keyed by URL path (`/index.html`, `/assets/app-XXXX.js`). */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return assets;
  const files: string[] = [];
  walk(dir, files);
  for (const file of files) {
    const url = '/' + relative(dir, file).split(sep).join('/');
    const body = readFileSync(file);
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length >= 1024 && !url.endsWith('.map');
    assets.set(url, {
      body,
      gzip: compressible ? gzipSync(body, { level: constants.Z_BEST_COMPRESSION }) : null,
      type,
      etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`,
      cacheControl: url.startsWith('/assets/') ? IMMUTABLE : REVALIDATE,
    });
  }
  return assets;
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset): Buffer | string {
  reply.header('Content-Type', asset.type).header('Cache-Control', asset.cacheControl).header('ETag', asset.etag);
  reply.header('X-Content-Type-Options', 'nosniff');
  const inm = req.headers['if-none-match'];
  if (typeof inm === 'string' && inm.split(',').some((t) => t.trim() === asset.etag)) {
    reply.code(304);
    return '';
  }
  if (asset.gzip !== null) {
    reply.header('Vary', 'Accept-Encoding');
    const accept = req.headers['accept-encoding'];
    if (typeof accept === 'string' && /\bgzip\b/i.test(accept)) {
      // Pre-compressed: the API's gzip hook leaves a body with a Content-Encoding alone.
      reply.header('Content-Encoding', 'gzip');
      return asset.gzip;
    }
  }
  return asset.body;
}

export async function uiPlugin(app: FastifyInstance, opts: UiOptions): Promise<void> {
  const dir = opts.dir ?? defaultUiDir();
  const assets = loadAssets(dir);
  const index = assets.get('/index.html');
  if (index === undefined) opts.logger?.warn('web UI not built: the pages answer 503 (run npm run build)', { dir });

  for (const page of UI_PAGES) {
    app.get(page, async (req, reply) => {
      if (index === undefined) {
        reply.code(503).type('text/plain; charset=utf-8').header('Cache-Control', 'no-store');
        return `The web UI is not built (${dir} is missing). Run npm run build.\n`;
      }
      return send(req, reply, index);
    });
  }
  app.get('/assets/*', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    const asset = assets.get(path); // built names are plain ASCII: no decoding needed
    if (asset === undefined) {
      reply.code(404).type('text/plain; charset=utf-8').header('Cache-Control', 'no-store');
      return 'Not Found\n';
    }
    return send(req, reply, asset);
  });
}
