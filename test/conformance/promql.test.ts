/**
 * PromQL conformance: runs Prometheus' own test scripts (v3.14, ../shared/conformance/promql-testdata
 * beside the repo) against our engine. Each file's pass count must not drop below its entry in
 * baseline.json (a ratchet). Environment:
 *   PROMQL_CONFORMANCE_UPDATE=1      rewrite baseline.json with the current pass counts
 *   PROMQL_CONFORMANCE_FILES=a,b     only these files (names without .test)
 *   PROMQL_CONFORMANCE_AT_PINNING=0  skip the @-pinning re-check (faster)
 *   PROMQL_CONFORMANCE_VERBOSE=1     print every failure
 *   PROMQL_CONFORMANCE_DUMP=path     write all outcomes as JSON
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  countOutcomes,
  groupFailures,
  skipReasons,
  summaryTable,
  type FileCounts,
} from '../support/promqltest/classify.js';
import { parseTestScript } from '../support/promqltest/parse.js';
import { runScript, TEST_ENGINE_OPTIONS, type EvalOutcome, type PromqlImpl } from '../support/promqltest/run.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '../..');
const DATA = join(REPO, '../shared/conformance/promql-testdata');
const BASELINE = join(HERE, 'baseline.json');
const env = process.env;

async function loadImpl(): Promise<PromqlImpl | string> {
  try {
    // Resolved at run time so this file loads (and reports a skip) before the engine exists.
    const enginePath = '../../src/promql/engine.js';
    const parserPath = '../../src/promql/parser.js';
    const printerPath = '../../src/promql/printer.js';
    const { Engine } = await import(/* @vite-ignore */ enginePath);
    const { parseExpr } = await import(/* @vite-ignore */ parserPath);
    let formatExpr: PromqlImpl['formatExpr'];
    try {
      formatExpr = (await import(/* @vite-ignore */ printerPath)).formatExpr;
    } catch {
      formatExpr = undefined;
    }
    return { engine: new Engine(TEST_ENGINE_OPTIONS), parseExpr: (q: string) => parseExpr(q, { compat: '3', enableExperimentalFunctions: true }), formatExpr };
  } catch (err) {
    return `engine/parser not available: ${(err as Error).message}`;
  }
}

const files = existsSync(DATA)
  ? readdirSync(DATA)
      .filter((f) => f.endsWith('.test'))
      .map((f) => f.slice(0, -5))
      .filter((f) => !env.PROMQL_CONFORMANCE_FILES || env.PROMQL_CONFORMANCE_FILES.split(',').includes(f))
      .sort()
  : [];
const baseline: Record<string, number> = existsSync(BASELINE) ? JSON.parse(readFileSync(BASELINE, 'utf8')) : {};
const impl = files.length > 0 ? await loadImpl() : 'no conformance data';
const results = new Map<string, EvalOutcome[]>();
const rows: Array<[string, FileCounts | string]> = [];

if (!existsSync(DATA)) console.warn(`PromQL conformance skipped: ${DATA} not found`);
if (typeof impl === 'string' && files.length > 0) console.warn(`PromQL conformance skipped: ${impl}`);

describe.skipIf(typeof impl === 'string')('PromQL conformance (Prometheus v3.14 test scripts)', () => {
  for (const file of files) {
    describe(file, () => {
      it(`passes at least the baseline (${baseline[file] ?? 0})`, { timeout: 900_000 }, async () => {
        const script = parseTestScript(readFileSync(join(DATA, `${file}.test`), 'utf8'));
        const outcomes = await runScript(script, impl as PromqlImpl, {
          atPinning: env.PROMQL_CONFORMANCE_AT_PINNING !== '0',
        });
        results.set(file, outcomes);
        const counts = countOutcomes(outcomes);
        rows.push([file, counts]);
        if (env.PROMQL_CONFORMANCE_UPDATE !== '1') expect(counts.pass).toBeGreaterThanOrEqual(baseline[file] ?? 0);
      });
    });
  }
});

afterAll(() => {
  if (results.size === 0) return;
  const out: string[] = ['', 'PromQL conformance summary', summaryTable(rows)];
  out.push('', 'Skip reasons:');
  for (const [reason, n] of skipReasons(results).slice(0, 15)) out.push(`  ${String(n).padStart(4)}  ${reason}`);
  out.push('', 'Top failure causes (count, cause, example):');
  for (const g of groupFailures(results).slice(0, 40)) {
    out.push(`  ${String(g.count).padStart(4)}  ${g.cause}`);
    out.push(`        ${g.example.file}:${g.example.line}  ${g.example.expr}`);
    out.push(`        ${g.example.message.slice(0, 300)}`);
  }
  if (env.PROMQL_CONFORMANCE_VERBOSE === '1') {
    out.push('', 'All failures:');
    for (const [file, outcomes] of results) {
      for (const o of outcomes) if (o.status === 'fail') out.push(`  ${file}:${o.line} [${o.phase}] ${o.expr}\n      ${o.message}`);
    }
  }
  console.log(out.join('\n'));
  if (env.PROMQL_CONFORMANCE_DUMP) {
    writeFileSync(env.PROMQL_CONFORMANCE_DUMP, JSON.stringify(Object.fromEntries(results), null, 1));
  }
  if (env.PROMQL_CONFORMANCE_UPDATE === '1') {
    const next: Record<string, number> = { ...baseline };
    for (const [file, counts] of rows) if (typeof counts !== 'string') next[file] = counts.pass;
    const sorted = Object.fromEntries(Object.keys(next).sort().map((k) => [k, next[k]!]));
    writeFileSync(BASELINE, JSON.stringify(sorted, null, 2) + '\n');
    console.log(`baseline.json updated (${rows.length} files)`);
  }
});
