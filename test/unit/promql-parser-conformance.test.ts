/**
 * Parses every eval expression of Prometheus' own v3.14 PromQL tests, checks the printer round trip
 * on all of them, and measures parse speed.
 */
import { describe, expect, it } from 'vitest';
import type { Expr } from '../../src/promql/ast.js';
import { parseExpr } from '../../src/promql/parser.js';
import { formatExpr } from '../../src/promql/printer.js';
import { harvestTestExpressions } from '../support/shared.js';

const FILES = [
  'aggregators', 'at_modifier', 'functions', 'operators', 'selectors', 'subquery', 'staleness', 'literals',
  'trig_functions', 'histograms', 'range_queries', 'collision',
];

/** The AST as plain data without positions, for structural comparison. */
export function shape(e: unknown): unknown {
  return JSON.parse(
    JSON.stringify(e, (key, value: unknown) => {
      if (key === 'pos') return undefined;
      if (key === 'func') return (value as { name: string }).name;
      if (key === 'matchers') return (value as { name: string; type: string; value: string }[]).map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`);
      if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
      return value;
    }),
  );
}

const exprs = harvestTestExpressions(FILES);
const opts = { enableExperimentalFunctions: true };

describe('Prometheus v3.14 test expressions', () => {
  it.skipIf(exprs.length === 0)('at least 95% parse; failures reported by reason', () => {
    const failures = new Map<string, string[]>();
    let ok = 0;
    for (const h of exprs) {
      try {
        parseExpr(h.expr, opts);
        ok++;
      } catch (err) {
        const reason = (err as Error).message.replace(/^\d+:\d+: parse error: /, '');
        failures.set(reason, [...(failures.get(reason) ?? []), `${h.where} ${h.expr}`]);
      }
    }
    for (const [reason, list] of failures) console.log(`parse failure (${list.length}): ${reason}\n  ${list.join('\n  ')}`);
    console.log(`parsed ${ok}/${exprs.length}`);
    expect(ok / exprs.length).toBeGreaterThanOrEqual(0.95);
  });

  it.skipIf(exprs.length === 0)('formatExpr round-trips every parsed expression', () => {
    let checked = 0;
    for (const h of exprs) {
      let ast: Expr;
      try {
        ast = parseExpr(h.expr, opts);
      } catch {
        continue;
      }
      const printed = formatExpr(ast);
      let again: Expr;
      try {
        again = parseExpr(printed, opts);
      } catch (err) {
        throw new Error(`${h.where}: ${h.expr}\nprinted: ${printed}\n${(err as Error).message}`);
      }
      expect(shape(again), `${h.where}: ${h.expr} -> ${printed}`).toEqual(shape(ast));
      checked++;
    }
    expect(checked).toBeGreaterThan(exprs.length * 0.95);
  });
});

describe('parse speed', () => {
  it('parses a 200-character query in well under 1 ms after warm-up', () => {
    const q =
      'sum by (job, instance) (rate(http_requests_total{job="api-server", method=~"GET|POST", code!="500"}[5m] offset 1h)) / ignoring(code) group_left sum by (job) (rate(http_requests_total{job="api"}[5m]))';
    expect(q.length).toBeGreaterThanOrEqual(190);
    for (let i = 0; i < 2000; i++) parseExpr(q);
    const runs = 5000;
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) parseExpr(q);
    const perParse = (performance.now() - t0) / runs;
    console.log(`parse of ${q.length}-char query: ${(perParse * 1000).toFixed(1)} µs`);
    expect(perParse).toBeLessThan(0.5);
  });
});
