/**
 * End to end in a browser: the web UI served by `promdedup query` over a real Prometheus HA pair
 * (history from promtool), driven in headless Chromium. Type a query (with autocompletion from
 * promdedup's API), run it as a graph, see the canvas and the series without the replica label,
 * turn dedup off and see both replicas' series, open the provenance timeline, open the Endpoints
 * page and see both replicas up.
 * A screenshot of each step lands in test-output/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath, ensureUiBuilt } from '../support/chromium.js';
import { apiGet } from '../support/compare.js';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';
import { generateHaData, type HaData } from '../support/hadata.js';
import { prometheusAvailable } from '../support/prometheus.js';
import { querierSourcePresent, repoRoot } from '../support/querier-process.js';

const promOk = prometheusAvailable();
const browserPath = chromiumPath();
if (!promOk) console.warn('ui e2e: prometheus/promtool not on PATH (sudo apt-get install -y prometheus): skipping');
else if (browserPath === null) console.warn('ui e2e: chromium not installed (sudo apt-get install -y chromium): skipping');

const OUT = join(repoRoot(), 'test-output');
const EXPR = 'rate(process_cpu_seconds_total[5m])';

describe.skipIf(!promOk || browserPath === null || !querierSourcePresent())('web UI in headless Chromium', () => {
  let d: HaData;
  let setup: HaSetup | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    ensureUiBuilt();
    d = generateHaData({ seed: 11 });
    const [s, b] = await Promise.allSettled([
      startHaSetup({ cluster: d.cluster, openMetrics: { a: d.openMetrics.a, b: d.openMetrics.b } }),
      chromium.launch({ executablePath: browserPath!, headless: true, args: [...CHROMIUM_ARGS] }),
    ]);
    if (s.status === 'fulfilled') setup = s.value;
    if (b.status === 'fulfilled') browser = b.value;
    if (s.status === 'rejected') throw s.reason;
    if (b.status === 'rejected') throw b.reason;
    page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    mkdirSync(OUT, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await setup?.stop();
  });

  const shot = async (name: string) => {
    const path = join(OUT, name);
    await page.screenshot({ path, fullPage: true });
    console.log(`ui e2e: screenshot ${path}`);
  };
  /** Waits for the result of run number > `after` and returns its number. */
  const waitRun = async (after: number): Promise<number> => {
    await page.waitForFunction(
      (n) => {
        // Runs in the page (this file is compiled without the DOM library).
        type El = { dataset: Record<string, string | undefined> };
        const r = (globalThis as unknown as { document: { querySelector(s: string): El | null } }).document.querySelector('[data-testid=result]');
        return r !== null && Number(r.dataset['run']) > n && r.dataset['state'] !== 'loading';
      },
      after,
      { timeout: 30_000 },
    );
    return Number(await page.getAttribute('[data-testid=result]', 'data-run'));
  };
  const seriesTexts = () => page.locator('[data-testid=series]').allTextContents();
  /** The same instant query straight from the API. */
  const apiInstant = async (dedup: boolean): Promise<string[]> => {
    const got = await apiGet(setup!.querier.url, '/api/v1/query', { query: EXPR, time: d.endMs / 1000 - 60, dedup: String(dedup) });
    return (got.body.data as { result: { metric: Record<string, string> }[] }).result.map((r) => JSON.stringify(r.metric));
  };
  /** The same range query straight from the API, for the expected series. */
  const apiSeries = async (dedup: boolean): Promise<string[]> => {
    const end = d.endMs / 1000 - 60;
    const got = await apiGet(setup!.querier.url, '/api/v1/query_range', { query: EXPR, start: end - 3600, end, step: 14, dedup: String(dedup) });
    return (got.body.data as { result: { metric: Record<string, string> }[] }).result.map((r) => JSON.stringify(r.metric));
  };

  it('serves the page with bundled assets (no CDN)', async () => {
    const res = await page.goto(`${setup!.querier.url}/graph`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
    const srcs = await page.$$eval('script[src], link[rel=stylesheet]', (els) => els.map((e) => e.getAttribute('src') ?? e.getAttribute('href') ?? ''));
    expect(srcs.length).toBeGreaterThanOrEqual(2);
    for (const s of srcs) expect(s).toMatch(/^\/assets\//);
    await page.waitForSelector('.cm-content');
  });

  it('completes metric names from promdedup\'s API (in the End time\'s window)', async () => {
    // The history is at a fixed time: set End first (completion asks for names around it).
    await page.fill('#range', '1h');
    await page.fill('#end', new Date(d.endMs - 60_000).toISOString());
    await page.fill('#step', '14');
    await page.click('.cm-content');
    await page.keyboard.type('process_cpu');
    const option = page.locator('.cm-tooltip-autocomplete li', { hasText: 'process_cpu_seconds_total' });
    await option.first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Escape');
  });

  let run = 0;
  it('runs a range query: a chart canvas and the series without the replica label', async () => {
    // Replace the partial text with the whole expression (brackets close as they are typed over).
    await page.click('.cm-content');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(EXPR);
    await page.keyboard.press('Escape');
    await page.click('[data-tab=graph]'); // switching tabs runs the query
    run = await waitRun(run);
    expect(await page.getAttribute('[data-testid=result]', 'data-state')).toBe('done');
    expect(await page.locator('[data-testid=chart] canvas').count()).toBeGreaterThan(0);
    const legend = await seriesTexts();
    const expected = await apiSeries(true);
    expect(expected.length).toBeGreaterThan(1);
    expect(legend.length).toBe(expected.length);
    for (const l of legend) {
      expect(l).toContain('cluster=');
      expect(l).not.toContain('replica=');
    }
    expect(await page.locator('[data-testid=warning]').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('g0.expr')).toBe(EXPR);
    await shot('ui.png');
  });

  it('dedup off: every replica\'s series, with the replica label', async () => {
    const deduped = (await seriesTexts()).length;
    await page.uncheck('#dedup'); // toggling re-runs the query
    run = await waitRun(run);
    const legend = await seriesTexts();
    expect(legend.length).toBe((await apiSeries(false)).length);
    expect(legend.length).toBe(2 * deduped);
    expect(legend.filter((l) => l.includes('replica="a"')).length).toBe(deduped);
    expect(legend.filter((l) => l.includes('replica="b"')).length).toBe(deduped);
    expect(await page.locator('[data-testid=status]').textContent()).toContain('dedup=false');
    expect(new URL(page.url()).searchParams.get('dedup')).toBe('false');
    await shot('ui-dedup-off.png');

    await page.check('#dedup');
    run = await waitRun(run);
    expect((await seriesTexts()).length).toBe(deduped);
  });

  it('the replica-labels field is sent as replicaLabels[] (here: cluster, so replica stays)', async () => {
    const deduped = (await seriesTexts()).length;
    await page.fill('#replica-labels', 'cluster');
    await page.locator('#replica-labels').blur(); // a changed field runs the query again
    run = await waitRun(run);
    const legend = await seriesTexts();
    expect(legend.length).toBe(2 * deduped);
    for (const l of legend) {
      expect(l).not.toContain('cluster=');
      expect(l).toMatch(/replica="[ab]"/);
    }
    expect(new URL(page.url()).searchParams.get('replicaLabels')).toBe('cluster');
    await page.fill('#replica-labels', '');
    await page.locator('#replica-labels').blur();
    run = await waitRun(run);
    expect((await seriesTexts()).length).toBe(deduped);
  });

  it('the table view answers an instant query at the End time', async () => {
    await page.click('[data-tab=table]');
    run = await waitRun(run);
    const rows = await page.locator('[data-testid=row]').allTextContents();
    expect(rows.length).toBe((await apiInstant(true)).length);
    expect(rows.length).toBeGreaterThan(1);
    for (const r of rows) expect(r).not.toContain('replica=');
  });

  it('the Provenance view draws which replica served which span of each series, and lists the switches', async () => {
    await page.click('[data-tab=provenance]');
    run = await waitRun(run);
    const end = d.endMs / 1000 - 60;
    const got = await apiGet(setup!.querier.url, '/api/v1/query_range', { query: EXPR, start: end - 3600, end, step: 14, dedup: 'explain' });
    const provenance = (got.body.data as { provenance: { series: { spans: unknown[]; switches: unknown[] }[] }[] }).provenance;
    const series = provenance.flatMap((p) => p.series);
    expect(series.length).toBe((await apiSeries(true)).length);
    expect(await page.locator('[data-testid=provenance-series]').count()).toBe(series.length);
    expect(await page.locator('[data-testid=provenance-span]').count()).toBe(series.reduce((n, s) => n + s.spans.length, 0));
    expect(await page.locator('[data-testid=provenance-switch]').count()).toBe(series.reduce((n, s) => n + s.switches.length, 0));
    const replicas = await page.locator('[data-testid=provenance-span]').evaluateAll((els) => els.map((e) => e.getAttribute('data-replica')));
    for (const r of replicas) expect(r).toMatch(/^replica="[ab]"$/);
    await shot('ui-provenance.png');
    await page.click('[data-tab=table]');
    run = await waitRun(run);
  });

  it('a bad expression shows the API\'s error', async () => {
    await page.click('.cm-content');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('sum(');
    await page.click('#execute');
    run = await waitRun(run);
    expect(await page.getAttribute('[data-testid=result]', 'data-state')).toBe('error');
    expect(await page.locator('[data-testid=error]').textContent()).toContain('bad_data');
    // Back to the good query (the next tests start from the last query run).
    await page.click('.cm-content');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(EXPR);
    await page.keyboard.press('Escape');
    await page.click('#execute');
    run = await waitRun(run);
    expect(await page.getAttribute('[data-testid=result]', 'data-state')).toBe('done');
  });

  it('the Endpoints page lists both replicas as up, with labels and time range', async () => {
    await page.click('nav a[data-page=endpoints]');
    await page.waitForSelector('[data-testid=endpoints][data-state=done]');
    expect(new URL(page.url()).pathname).toBe('/endpoints');
    const rows = page.locator('[data-testid=endpoint]');
    expect(await rows.count()).toBe(2);
    expect(await page.locator('[data-testid=health]').allTextContents()).toEqual(['UP', 'UP']);
    const text = (await rows.allTextContents()).join('\n');
    expect(text).toContain(new URL(setup!.a.url).host);
    expect(text).toContain(new URL(setup!.b.url).host);
    expect(text).toContain('replica="a"');
    expect(text).toContain('replica="b"');
    // Min and max time: Prometheus endpoints hold all time (Thanos' ±MaxInt64), shown as ∞.
    expect(text).toMatch(/(−∞|\d{4}-\d\d-\d\dT)/);
    await shot('ui-endpoints.png');
  });

  it('replica B down: the query answers from A with a partial-response warning naming B', async () => {
    await setup!.b.stop();
    const bHost = new URL(setup!.b.url).host;
    // The Query link brings back the last query, which runs again.
    await page.click('nav a[data-page=graph]');
    expect(new URL(page.url()).searchParams.get('g0.expr')).toBe(EXPR);
    await waitRun(0);
    expect(await page.getAttribute('[data-testid=result]', 'data-state')).toBe('done');
    const warnings = await page.locator('[data-testid=warning]').allTextContents();
    expect(warnings.some((w) => w.includes(bHost))).toBe(true);
    expect(await page.locator('[data-testid=row]').count()).toBe((await apiInstant(true)).length);
    await shot('ui-partial-response.png');
  });

  it('replica B down: the Endpoints page shows it down with its last error', async () => {
    // Endpoints are re-checked every 30 s, and at once on SIGHUP (as Prometheus and Thanos reload).
    process.kill(setup!.querier.pid, 'SIGHUP');
    await page.click('nav a[data-page=endpoints]');
    const bHost = new URL(setup!.b.url).host;
    const bRow = page.locator('[data-testid=endpoint]', { hasText: bHost });
    const deadline = Date.now() + 40_000;
    for (;;) {
      await page.waitForSelector('[data-testid=endpoints][data-state=done]');
      if ((await bRow.locator('[data-testid=health]').textContent()) === 'DOWN' || Date.now() > deadline) break;
      await page.waitForTimeout(500);
      await page.click('#refresh');
    }
    expect(await bRow.locator('[data-testid=health]').textContent()).toBe('DOWN');
    expect((await bRow.locator('.last-error').textContent())?.length ?? 0).toBeGreaterThan(0);
    const aRow = page.locator('[data-testid=endpoint]', { hasText: new URL(setup!.a.url).host });
    expect(await aRow.locator('[data-testid=health]').textContent()).toBe('UP');
    await shot('ui-endpoints-down.png');
  }, 90_000);

  it('no script errors in the page', () => {
    // The bad expression's 400 is logged by the browser as a failed resource; nothing else may be.
    expect(errors.filter((e) => !/status of 400 \(Bad Request\)/.test(e))).toEqual([]);
  });
});
