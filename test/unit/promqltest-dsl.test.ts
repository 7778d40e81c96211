import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LabelMatcher } from '../../src/model/matcher.js';
import type { Expr } from '../../src/promql/ast.js';
import { PromQLError } from '../../src/promql/errors.js';
import type { VectorSample } from '../../src/promql/types.js';
import type { Querier } from '../../src/storage/querier.js';
import { parseDuration } from '../support/promqltest/duration.js';
import { pinExpr, pinnedEvalTimes } from '../support/promqltest/pin.js';
import { runScript, type PromqlImpl } from '../support/promqltest/run.js';
import { DslError, parseTestScript, type EvalCmd, type LoadCmd, type SeqValue } from '../support/promqltest/parse.js';
import { parseSeriesLabels } from '../support/promqltest/series-labels.js';
import { unquote } from '../support/promqltest/strings.js';
import { expandSequence, parseNumberLine } from '../support/promqltest/values.js';

/** Compact form of a sequence: numbers, 's' for stale, '_' for omitted. */
function show(vals: readonly SeqValue[]): Array<number | string> {
  return vals.map((v) => (v.kind === 'value' ? v.v : v.kind === 'stale' ? 's' : '_'));
}

describe('value expansion', () => {
  it('expands the documented example', () => {
    expect(show(expandSequence('1 _x2 3+1x2 stale'))).toEqual([1, '_', '_', 3, 4, 5, 's']);
  });
  it('NxM gives M+1 samples; _xN gives N gaps', () => {
    expect(show(expandSequence('7x3'))).toEqual([7, 7, 7, 7]);
    expect(show(expandSequence('_x3 _'))).toEqual(['_', '_', '_', '_']);
  });
  it('A-BxM counts down; signs and exponents', () => {
    expect(show(expandSequence('10-2x3'))).toEqual([10, 8, 6, 4]);
    expect(show(expandSequence('-1-1x2'))).toEqual([-1, -2, -3]);
    expect(show(expandSequence('1e3+1e2x1 -2.5E-1 .5 5.'))).toEqual([1000, 1100, -0.25, 0.5, 5]);
  });
  it('accumulates like the reference (v += step)', () => {
    const vals = show(expandSequence('0+1.33x10'));
    let acc = 0;
    for (let i = 0; i <= 10; i++, acc += 1.33) expect(vals[i]).toBe(acc);
  });
  it('Inf, NaN in any case and with signs', () => {
    const vals = show(expandSequence('Inf -Inf +inf NaN nan -Infx1'));
    expect(vals.slice(0, 3)).toEqual([Infinity, -Infinity, Infinity]);
    expect(Number.isNaN(vals[3])).toBe(true);
    expect(Number.isNaN(vals[4])).toBe(true);
    expect(vals.slice(5)).toEqual([-Infinity, -Infinity]);
  });
  it('hex is not a number in series lines: 0x10 is 0 repeated', () => {
    expect(show(expandSequence('0x10'))).toEqual(new Array(11).fill(0));
  });
  it('rejects junk', () => {
    expect(() => expandSequence('1+2')).toThrow();
    expect(() => expandSequence('abc')).toThrow();
  });
});

describe('number lines, durations, strings, labels', () => {
  it('parses scalar lines like Go ParseInt(base 0) then ParseFloat', () => {
    expect(parseNumberLine('0x10')).toBe(16);
    expect(parseNumberLine('010')).toBe(8);
    expect(parseNumberLine('-3.5e2')).toBe(-350);
    expect(parseNumberLine('+Inf')).toBe(Infinity);
    expect(Number.isNaN(parseNumberLine('NaN'))).toBe(true);
    expect(parseNumberLine('foo 1')).toBeNull();
    expect(parseNumberLine('{} 1')).toBeNull();
  });
  it('parses Prometheus durations', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('20s500ms')).toBe(20_500);
    expect(parseDuration('1y')).toBe(365 * 86_400_000);
    expect(() => parseDuration('1m1h')).toThrow();
    expect(() => parseDuration('-1m')).toThrow();
  });
  it('unquotes Go strings', () => {
    expect(unquote('"a\\"b\\n"')).toBe('a"b\n');
    expect(unquote('`raw\\n`')).toBe('raw\\n');
    expect(unquote('"\\xc3\\xa9"')).toBe('é');
    expect(() => unquote('"abc')).toThrow();
  });
  it('parses label sets', () => {
    const r = parseSeriesLabels('foo{b="2", a=\'1\',} 1 2');
    expect(r.labels).toEqual([
      { name: '__name__', value: 'foo' },
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
    ]);
    expect(r.rest).toBe('1 2');
    expect(parseSeriesLabels('{} 3').labels).toEqual([]);
    expect(parseSeriesLabels('{"my.metric", x="a b"} 3').labels).toEqual([
      { name: '__name__', value: 'my.metric' },
      { name: 'x', value: 'a b' },
    ]);
    expect(parseSeriesLabels('up 1').labels).toEqual([{ name: '__name__', value: 'up' }]);
  });
});

function evals(text: string): EvalCmd[] {
  return parseTestScript(text).commands.filter((c): c is EvalCmd => c.kind === 'eval');
}

describe('script parsing', () => {
  it('parses load, clear and eval blocks with comments', () => {
    const s = parseTestScript(`
# comment
load 5m
  foo{a="1"} 1+1x2
  bar 1 stale

clear
eval instant at 10m foo
  foo{a="1"} 3
`);
    expect(s.commands.map((c) => c.kind)).toEqual(['load', 'clear', 'eval']);
    const load = s.commands[0] as LoadCmd;
    expect(load.intervalMs).toBe(300_000);
    expect(load.series).toHaveLength(2);
    expect(show(load.series[1]!.values)).toEqual([1, 's']);
    const ev = s.commands[2] as EvalCmd;
    expect(ev).toMatchObject({ expr: 'foo', evalTime: 600_000, isRange: false, line: 8 });
    expect(ev.expected[0]!.pos).toBe(1);
  });
  it('parses range evals with _ gaps', () => {
    const [ev] = evals('eval range from 0 to 2m step 1m sum(x)\n  {} 1 _ 3\n');
    expect(ev).toMatchObject({ isRange: true, start: 0, end: 120_000, step: 60_000, expr: 'sum(x)' });
    expect(show(ev!.expected[0]!.values)).toEqual([1, '_', 3]);
  });
  it('parses eval_fail / eval_ordered / eval_warn / eval_info variants', () => {
    const [f, o, w, i] = evals(
      'eval_fail instant at 0 a\n  expected_fail_message boom here\n\n' +
        'eval_ordered instant at 1m b\n\neval_warn instant at 0 c\n\neval_info range from 0 to 1m step 1m d\n',
    );
    expect(f).toMatchObject({ fail: true, expectedFailMessage: 'boom here' });
    expect(o!.ordered).toBe(true);
    expect(w!.warn).toBe(true);
    expect(i).toMatchObject({ info: true, isRange: true });
    const [r] = evals('eval_fail instant at 0 a\n  expected_fail_regexp fo+\n');
    expect(r!.expectedFailRegexp!.test('xfoo')).toBe(true);
  });
  it('parses expect lines', () => {
    const [ev] = evals(`eval instant at 0 x
  expect fail msg: something bad
  expect warn regex: mix.*floats
  expect warn
  expect no_info
  expect ordered
`);
    expect(ev!.expectFail).toEqual([{ message: 'something bad', regex: null }]);
    expect(ev!.expectWarn[0]!.regex!.source).toBe('mix.*floats');
    expect(ev!.expectWarn[1]).toEqual({ message: null, regex: null });
    expect(ev).toMatchObject({ expectNoInfo: true, expectOrdered: true, expectNoWarn: false });
    expect(() => evals('eval instant at 0 x\n  expect warn\n  expect no_warn\n')).toThrow(DslError);
  });
  it('parses scalar, string and range-vector expectations', () => {
    const [s, str, rv] = evals(`eval instant at 0 1
  0x10

eval instant at 0 "Foo"
  expect string \`Foo\`

eval instant at 1m x[1m]
  expect range vector from 10s to 1m step 10s
  x 1 2 3 4 5 6
`);
    expect(s!.expectedScalar).toBe(16);
    expect(str).toMatchObject({ expectedString: 'Foo', excludeFromRangeQuery: true });
    expect(rv).toMatchObject({ expectRangeVector: true, start: 10_000, end: 60_000, step: 10_000, evalTime: 60_000 });
    expect(rv!.expected[0]!.values).toHaveLength(6);
  });
  it('rejects multiple values in an instant eval without expect range vector', () => {
    expect(() => evals('eval instant at 0 x\n  x 1 2\n')).toThrow(/multiple values/);
  });
  it('marks native histograms and start timestamps unsupported', () => {
    const s = parseTestScript(`load 1m
  h {{schema:0 sum:1 count:1}}x2
  f 1 2
  c@st 0 -1m
  c 1 2

load_with_nhcb 1m
  b_bucket{le="1"} 1

eval instant at 0 h
  h {{schema:0 sum:1 count:1}}
`);
    const load = s.commands[0] as LoadCmd;
    expect(load.series.map((x) => x.unsupported)).toEqual(['native histogram', null, 'start timestamps']);
    expect((s.commands[1] as LoadCmd).withNhcb).toBe(true);
    expect((s.commands[2] as EvalCmd).unsupported).toBe('native histogram');
  });
  it('reports bad commands with their line', () => {
    expect(() => parseTestScript('\n\nfrobnicate\n')).toThrow(/line 3/);
  });
});

const DATA = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/conformance/promql-testdata');

describe.skipIf(!existsSync(DATA))('conformance scripts', () => {
  it('parses every shared .test file', () => {
    let n = 0;
    for (const f of readdirSync(DATA).filter((x) => x.endsWith('.test'))) {
      const script = parseTestScript(readFileSync(join(DATA, f), 'utf8'));
      n += script.commands.filter((c) => c.kind === 'eval').length;
    }
    expect(n).toBeGreaterThan(2000);
  });
});

describe('runner (with a toy engine)', () => {
  // A toy engine that understands only bare metric names: last sample within 5m, no staleness.
  const toy: PromqlImpl = {
    parseExpr(q: string): Expr {
      if (!/^[a-z_]+$/.test(q)) throw new Error(`1:1: parse error: unexpected ${q}`);
      return {
        kind: 'VectorSelector',
        name: q,
        matchers: [new LabelMatcher('=', '__name__', q)],
        offset: 0,
        at: null,
        pos: { start: 0, end: q.length },
      };
    },
    engine: {
      async instantQuery(querier, query, t) {
        const samples = await pick(querier, query, t);
        if (query === 'boom') throw new PromQLError('execution', 'boom happened');
        return { value: { type: 'vector', samples }, warnings: query === 'warny' ? ['PromQL warning: w (1:1)'] : [], infos: [] };
      },
      async rangeQuery(querier, query, start, end, step) {
        const bySeries = new Map<string, { labels: VectorSample['labels']; ts: number[]; vs: number[] }>();
        for (let t = start; t <= end; t += step) {
          for (const s of await pick(querier, query, t)) {
            const k = JSON.stringify(s.labels);
            const e = bySeries.get(k) ?? { labels: s.labels, ts: [], vs: [] };
            e.ts.push(t);
            e.vs.push(s.v);
            bySeries.set(k, e);
          }
        }
        const series = [...bySeries.values()].map((e) => ({
          labels: e.labels,
          timestamps: Float64Array.from(e.ts),
          values: Float64Array.from(e.vs),
        }));
        return { value: { type: 'matrix', series }, warnings: [], infos: [] };
      },
    },
  };
  async function pick(querier: Querier, name: string, t: number): Promise<VectorSample[]> {
    const hints = { start: t - 300_000 + 1, end: t, step: 0, func: '', range: 0, grouping: [], by: false };
    const r = await querier.select([new LabelMatcher('=', '__name__', name)], hints, new AbortController().signal);
    return r.series.map((s) => ({ labels: s.labels, t, v: s.samples.values[s.samples.values.length - 1]! }));
  }
  const run = (text: string) => runScript(parseTestScript(text), toy, { atPinning: false });

  it('classifies pass, fail and skip', async () => {
    const out = await run(`load 1m
  foo{a="1"} 1 2 3
  h {{schema:0 sum:1 count:1}}

eval instant at 2m foo
  foo{a="1"} 3

eval instant at 2m foo
  foo{a="1"} 4

eval instant at 2m h
  h 1

eval range from 0 to 2m step 1m foo
  foo{a="1"} 1 2 3

eval instant at 0 sum(
`);
    expect(out.map((o) => o.status)).toEqual(['pass', 'fail', 'skip', 'pass', 'fail']);
    expect(out[1]).toMatchObject({ phase: 'instant' });
    expect(out[2]).toMatchObject({ reason: 'native histogram' });
    expect(out[4]).toMatchObject({ phase: 'parse' });
  });
  it('checks expected failures and annotations', async () => {
    const out = await run(`load 1m
  boom 1
  warny 1

eval instant at 0 boom
  expect fail msg: boom happened

eval instant at 0 boom
  expect fail msg: other

eval instant at 0 warny
  expect warn msg: PromQL warning: w
  warny 1

eval instant at 0 warny
  expect no_warn
  warny 1
`);
    expect(out.map((o) => o.status)).toEqual(['pass', 'fail', 'pass', 'fail']);
  });
});

describe('@-pinning', () => {
  const sel = (name: string, at: VectorSelectorAt = null): Expr => ({
    kind: 'VectorSelector',
    name,
    matchers: [new LabelMatcher('=', '__name__', name)],
    offset: 0,
    at,
    pos: { start: 0, end: name.length },
  });
  type VectorSelectorAt = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' } | null;
  const pos = { start: 0, end: 1 };

  it('pins selectors (also @ start()), keeps explicit @ times, leaves subquery insides alone', () => {
    const sub: Expr = { kind: 'SubqueryExpr', expr: sel('c'), range: 60_000, step: 0, offset: 0, at: null, pos };
    const e: Expr = {
      kind: 'BinaryExpr',
      op: '+',
      lhs: sel('a', { kind: 'start' }),
      rhs: { kind: 'Call', func: { name: 'max_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector' }, args: [sub], pos },
      returnBool: false,
      matching: null,
      pos,
    };
    const p = pinExpr(e, 5000) as Extract<Expr, { kind: 'BinaryExpr' }>;
    expect((p.lhs as Extract<Expr, { kind: 'VectorSelector' }>).at).toEqual({ kind: 'time', ms: 5000 });
    const psub = (p.rhs as Extract<Expr, { kind: 'Call' }>).args[0] as Extract<Expr, { kind: 'SubqueryExpr' }>;
    expect(psub.at).toEqual({ kind: 'time', ms: 5000 });
    expect((psub.expr as Extract<Expr, { kind: 'VectorSelector' }>).at).toBeNull();
    expect(pinExpr(sel('x', { kind: 'time', ms: 1 }), 5000)).toMatchObject({ at: { kind: 'time', ms: 1 } });
  });
  it('refuses @-unsafe functions and picks the reference eval times', () => {
    const call: Expr = { kind: 'Call', func: { name: 'time', argTypes: [], variadic: 0, returnType: 'scalar' }, args: [], pos };
    expect(pinExpr(call, 1000)).toBeNull();
    expect(pinnedEvalTimes(0)).toEqual([-1000, 0, 1000]);
    expect(pinnedEvalTimes(60_000)).toEqual([-600_000, 0, 12_000, 60_000, 600_000]);
  });
});
