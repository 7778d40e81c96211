/**
 * src/ui's fastify plugin: pages answer index.html (revalidated), hashed assets are cached for a
 * year, content types follow the extension, ETags give 304s, text is sent pre-gzipped (and the API's
 * gzip hook leaves it alone), and a missing build answers 503 instead of failing the server.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCompression } from '../../src/api/compress.js';
import { defaultUiDir, UI_PAGES, uiPlugin } from '../../src/ui/plugin.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-ABC123.js"></script></head><body></body></html>\n';
const JS = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;
const CSS = 'body{margin:0}\n';

async function appFor(dir: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  registerCompression(app);
  await app.register(uiPlugin, { dir });
  await app.ready();
  return app;
}

describe('ui plugin', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'promdedup-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'app-ABC123.js'), JS);
    writeFileSync(join(dir, 'assets', 'app-DEF456.css'), CSS);
    writeFileSync(join(dir, 'assets', 'app-ABC123.js.map'), '{"version":3}');
    app = await appFor(dir);
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(UI_PAGES)('%s answers index.html, revalidated on every load', async (page) => {
    const res = await app.inject({ url: page });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toBe(INDEX);
  });

  it('a page with a query string is still the page', async () => {
    const res = await app.inject({ url: '/graph?g0.expr=up&g0.tab=graph' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(INDEX);
  });

  it('hashed assets: their content type and a year of immutable caching', async () => {
    const js = await app.inject({ url: '/assets/app-ABC123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe(JS);
    const css = await app.inject({ url: '/assets/app-DEF456.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toBe(CSS);
    const map = await app.inject({ url: '/assets/app-ABC123.js.map' });
    expect(map.headers['content-type']).toBe('application/json');
  });

  it('If-None-Match with the ETag: 304 without a body', async () => {
    const first = await app.inject({ url: '/' });
    const etag = first.headers['etag'] as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await app.inject({ url: '/', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const other = await app.inject({ url: '/', headers: { 'if-none-match': '"nope"' } });
    expect(other.statusCode).toBe(200);
  });

  it('gzip for clients that accept it, compressed once (the API hook does not compress it again)', async () => {
    const res = await app.inject({ url: '/assets/app-ABC123.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['vary']).toBe('Accept-Encoding');
    expect(gunzipSync(res.rawPayload).toString('utf8')).toBe(JS);
    const plain = await app.inject({ url: '/assets/app-ABC123.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
  });

  it('an unknown asset is a 404, never index.html', async () => {
    const res = await app.inject({ url: '/assets/app-ZZZ.js' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((await app.inject({ url: '/assets/../index.html' })).body).not.toBe(INDEX);
  });

  it('no build: the pages answer 503 with how to build, the assets 404', async () => {
    const missing = await appFor(join(dir, 'does-not-exist'));
    try {
      const res = await missing.inject({ url: '/' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('npm run build');
      expect((await missing.inject({ url: '/assets/app-ABC123.js' })).statusCode).toBe(404);
    } finally {
      await missing.close();
    }
  });
});

describe('the built UI (dist/ui, from npm run build)', () => {
  const built = existsSync(join(defaultUiDir(), 'index.html'));
  it.skipIf(!built)('index.html loads only local, existing assets', () => {
    const html = readFileSync(join(defaultUiDir(), 'index.html'), 'utf8');
    // Scripts and stylesheets (the favicon is an inline data: URL; the nav links are pages).
    const refs = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"/g)].map((m) => m[1]!).filter((r) => !r.startsWith('data:'));
    expect(refs.length).toBeGreaterThanOrEqual(2);
    for (const r of refs) {
      expect(r).toMatch(/^\/assets\/[\w-]+\.(js|css)$/);
      expect(existsSync(join(defaultUiDir(), r))).toBe(true);
    }
    expect(html).not.toMatch(/https?:\/\//);
  });
});
