import { describe, expect, it } from 'vitest';
import type { Expr } from '../../src/promql/ast.js';
import { ParseError, PromQLError } from '../../src/promql/errors.js';
import { parseDuration, parseExpr, parseMetricSelector } from '../../src/promql/parser.js';
import { formatExpr } from '../../src/promql/printer.js';
import { FUNCTIONS } from '../../src/promql/signatures.js';

/** AST as plain data: no positions, matchers as text, functions by name. */
function shape(e: unknown): unknown {
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

const p = (q: string, experimental = false): Expr => parseExpr(q, { enableExperimentalFunctions: experimental });
const num = (value: number): object => ({ kind: 'NumberLiteral', value });
const sel = (name: string, extra: string[] = [], offset = 0, at: object | null = null): object => ({
  kind: 'VectorSelector', name, matchers: [...(name ? [`__name__="${name}"`] : []), ...extra], offset, at,
});
const bin = (op: string, lhs: object, rhs: object, matching: object | null = null, returnBool = false): object => ({
  kind: 'BinaryExpr', op, lhs, rhs, returnBool, matching,
});
const oneToOne = { card: 'one-to-one', on: false, matchingLabels: [], include: [] };

function errorOf(q: string, opts: Parameters<typeof parseExpr>[1] = {}): string {
  try {
    parseExpr(q, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).kind).toBe('bad_data');
    return (err as Error).message;
  }
  throw new Error(`expected ${q} to fail`);
}

describe('literals', () => {
  it.each([
    ['1', 1], ['.2', 0.2], ['2.', 2], ['12.34e6', 12340000], ['12.34e+6', 12340000], ['-0.2e-6', -0.2e-6],
    ['0x1f', 31], ['0X1F', 31], ['010', 8], ['1_000', 1000], ['+0.2', 0.2], ['- - 1', 1], ['5m', 300], ['1h30m', 5400],
  ])('%s', (q, v) => expect(shape(p(q))).toEqual(num(v)));

  it('Inf and NaN in any case', () => {
    expect(p('inF')).toMatchObject({ value: Infinity });
    expect(p('-inf')).toMatchObject({ value: -Infinity });
    expect(Number.isNaN((p('nAn') as { value: number }).value)).toBe(true);
  });

  it.each([
    [String.raw`"a\nb\t\\\""`, 'a\nb\t\\"'],
    [String.raw`'it\'s'`, "it's"],
    [String.raw`"\x41\101\u00e9\U0001F600"`, 'AAé😀'],
    [String.raw`"\xc3\xa9"`, 'é'],
    ['`raw\\n`', 'raw\\n'],
  ])('string %s', (q, v) => expect(shape(p(q))).toEqual({ kind: 'StringLiteral', value: v }));
});

describe('selectors', () => {
  it('puts the metric name matcher first', () => {
    expect(shape(p('foo{a="b", c!="d", e=~"f.*", g!~"h",}'))).toEqual(sel('foo', ['a="b"', 'c!="d"', 'e=~"f.*"', 'g!~"h"']));
  });

  it('accepts UTF-8 quoted names (3.x)', () => {
    expect(shape(p('{"metric.name", "a.b"="x"}'))).toEqual(sel('', ['__name__="metric.name"', 'a.b="x"']));
  });

  it('keywords may name metrics and labels', () => {
    expect(shape(p('sum'))).toEqual(sel('sum'));
    expect(shape(p('foo{bool="x", on="y"}'))).toEqual(sel('foo', ['bool="x"', 'on="y"']));
    expect(shape(p('foo:bar'))).toEqual(sel('foo:bar'));
  });

  it('range, offset and @ in any order', () => {
    const m = { kind: 'MatrixSelector', vector: sel('foo', [], -300000, { kind: 'time', ms: 1500 }), range: 300000 };
    expect(shape(p('foo[5m] offset -5m @ 1.5'))).toEqual(m);
    expect(shape(p('foo[5m] @ 1.5 offset -5m'))).toEqual(m);
    expect(shape(p('foo[300]'))).toEqual({ kind: 'MatrixSelector', vector: sel('foo'), range: 300000 });
    expect(shape(p('foo @ start()'))).toEqual(sel('foo', [], 0, { kind: 'start' }));
    expect(shape(p('foo @ END()'))).toEqual(sel('foo', [], 0, { kind: 'end' }));
  });

  it('subqueries', () => {
    expect(shape(p('rate(foo[1m])[1h:5m] offset 1m'))).toMatchObject({ kind: 'SubqueryExpr', range: 3600000, step: 300000, offset: 60000, at: null });
    expect(shape(p('foo[5m:]'))).toMatchObject({ kind: 'SubqueryExpr', range: 300000, step: 0 });
  });

  it('duration arithmetic is folded when experimental features are on', () => {
    expect(shape(p('foo[5m+1m]', true))).toMatchObject({ range: 360000 });
    expect(shape(p('foo offset (2*1m)', true))).toMatchObject({ offset: 120000 });
    expect(errorOf('foo[5m+1m]')).toBe('1:5: parse error: experimental duration expression is not enabled');
  });

  it('offset binds a bare literal only', () => {
    expect(shape(p('foo offset 100 + 2'))).toEqual(bin('+', sel('foo', [], 100000), num(2)));
    expect(shape(p('foo offset -2 ^ 2'))).toEqual(bin('^', sel('foo', [], -2000), num(2)));
  });

  it('parseMetricSelector', () => {
    expect(parseMetricSelector('up{job="a"}').map(String)).toEqual(['__name__="up"', 'job="a"']);
    expect(parseMetricSelector('{__name__=~"a|b"}').map(String)).toEqual(['__name__=~"a|b"']);
    expect(() => parseMetricSelector('up + 1')).toThrow('1:4: parse error: unexpected <op:+>');
  });
});

describe('operators', () => {
  it('unary minus binds looser than ^', () => {
    expect(shape(p('-1 ^ 2'))).toEqual({ kind: 'UnaryExpr', op: '-', expr: bin('^', num(1), num(2)) });
    expect(shape(p('2 ^ 3 ^ 2'))).toEqual(bin('^', num(2), bin('^', num(3), num(2))));
    expect(shape(p('-a * b'))).toEqual(bin('*', { kind: 'UnaryExpr', op: '-', expr: sel('a') }, sel('b'), oneToOne));
  });

  it('precedence levels', () => {
    expect(shape(p('1 + 2 * 3 - 4'))).toEqual(bin('-', bin('+', num(1), bin('*', num(2), num(3))), num(4)));
    const v = p('a or b and c unless d == bool e + f * g ^ h');
    expect(formatExpr(v)).toBe('a or b and c unless d == bool e + f * g ^ h');
    expect(shape(v)).toMatchObject({ op: 'or', rhs: { op: 'unless', lhs: { op: 'and' }, rhs: { op: '==', rhs: { op: '+', rhs: { op: '*', rhs: { op: '^' } } } } } });
  });

  it('fills in vector matching', () => {
    expect(shape(p('a and b'))).toMatchObject({ matching: { card: 'many-to-many', on: false } });
    expect(shape(p('a + b'))).toMatchObject({ matching: oneToOne });
    expect(shape(p('a * on(x) group_left(y) b'))).toMatchObject({ matching: { card: 'many-to-one', on: true, matchingLabels: ['x'], include: ['y'] } });
    expect(shape(p('a / ignoring(x) group_right b'))).toMatchObject({ matching: { card: 'one-to-many', on: false, matchingLabels: ['x'], include: [] } });
    expect(shape(p('a + 1'))).toMatchObject({ matching: null });
    expect(shape(p('1 < bool 2'))).toMatchObject({ returnBool: true, matching: null });
    expect(shape(p('1 atan2 a'))).toMatchObject({ op: 'atan2' });
  });
});

describe('aggregations and calls', () => {
  it('by/without before or after the body', () => {
    const want = { kind: 'AggregateExpr', op: 'sum', expr: sel('x'), param: null, grouping: ['a', 'b'], without: false };
    expect(shape(p('sum by (a, b) (x)'))).toEqual(want);
    expect(shape(p('SUM(x) BY (a, b,)'))).toEqual(want);
    expect(shape(p('topk without (a) (5, x)'))).toEqual({ ...want, op: 'topk', param: num(5), grouping: ['a'], without: true });
    expect(shape(p('count_values("v", x)'))).toMatchObject({ param: { kind: 'StringLiteral', value: 'v' } });
    expect(shape(p('sum by ("a.b") (x)'))).toMatchObject({ grouping: ['a.b'] });
  });

  it('functions', () => {
    expect(shape(p('label_replace(x, "a", "b", "c", "d")'))).toMatchObject({ kind: 'Call', func: 'label_replace' });
    expect(shape(p('round(x)'))).toMatchObject({ func: 'round', args: [sel('x')] });
    expect(shape(p('time()'))).toEqual({ kind: 'Call', func: 'time', args: [] });
  });

  it('function table', () => {
    expect(FUNCTIONS.get('rate')).toMatchObject({ argTypes: ['matrix'], returnType: 'vector', variadic: 0 });
    expect(FUNCTIONS.get('label_join')).toMatchObject({ variadic: -1 });
    expect(FUNCTIONS.get('double_exponential_smoothing')?.experimental).toBe(true);
    expect([...FUNCTIONS.keys()].filter((n) => n !== 'holt_winters')).toHaveLength(90);
  });

  it('holt_winters only in compat 2; double_exponential_smoothing is experimental', () => {
    expect(shape(parseExpr('holt_winters(x[5m], 0.5, 0.5)', { compat: '2' }))).toMatchObject({ func: 'holt_winters' });
    expect(errorOf('holt_winters(x[5m], 0.5, 0.5)')).toBe('1:1: parse error: unknown function with name "holt_winters"');
    expect(errorOf('double_exponential_smoothing(x[5m], 0.5, 0.5)')).toBe('1:1: parse error: function "double_exponential_smoothing" is not enabled');
    expect(shape(p('double_exponential_smoothing(x[5m], 0.5, 0.5)', true))).toMatchObject({ kind: 'Call' });
  });
});

describe('errors', () => {
  it.each([
    ['', '1:1: parse error: no expression found in input'],
    ['1 +', '1:4: parse error: unexpected end of input'],
    ['(1', '1:3: parse error: unclosed left parenthesis'],
    ['1)', '1:2: parse error: unexpected right parenthesis \')\''],
    ['foo bar', '1:5: parse error: unexpected identifier "bar"'],
    ['foo{', '1:5: parse error: unexpected end of input inside braces'],
    ['foo{a}', '1:6: parse error: unexpected "}" in label matching, expected label matching operator'],
    ['foo{a=}', '1:7: parse error: unexpected "}" in label matching, expected string'],
    ['foo{a="b" c="d"}', '1:11: parse error: unexpected identifier "c" in label matching, expected "," or "}"'],
    ['"unterminated', '1:1: parse error: unterminated quoted string'],
    [String.raw`"\q"`, "1:1: parse error: unknown escape sequence U+0071 'q'"],
    ['foo $', "1:5: parse error: unexpected character: '$'"],
    ['1 + +', '1:6: parse error: unexpected end of input'],
    ['sum(foo) by', '1:12: parse error: unexpected end of input in grouping opts, expected "("'],
    ['foo[5m', '1:7: parse error: unclosed left bracket'],
    ['foo[', '1:5: parse error: unexpected end of input in duration expression'],
    ['foo[bar]', "1:5: parse error: unexpected character in duration expression: 'b'"],
    ['foo[0]', '1:5: parse error: duration must be greater than 0'],
    ['foo[5x]', '1:5: parse error: bad number or duration syntax: "5"'],
    ['foo[1m1h]', '1:5: parse error: not a valid duration string: "1m1h"'],
    ['{}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['{a=""}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
    ['foo{a=~"("}', '1:5: parse error: invalid regular expression'],
    ['1 > 2', '1:3: parse error: comparisons between scalars must use BOOL modifier'],
    ['1 and 2', '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
    ['a + bool b', '1:3: parse error: bool modifier can only be used on comparison operators'],
    ['a and on(x) group_left b', '1:1: parse error: no grouping allowed for "and" operation'],
    ['a * on(x) group_left(x) b', '1:3: parse error: label "x" must not occur in ON and GROUP clause at once'],
    ['1 + on(x) a', '1:1: parse error: vector matching only allowed between instant vectors'],
    ['a[5m] + 1', '1:1: parse error: binary expression must contain only scalar and instant vector types'],
    ['sum(x[5m])', '1:5: parse error: expected type instant vector in aggregation expression, got range vector'],
    ['topk("a", x)', '1:6: parse error: expected type scalar in aggregation parameter, got string'],
    ['sum()', '1:1: parse error: no arguments for aggregate expression provided'],
    ['topk(x)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['limitk(1, x)', '1:1: parse error: limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions'],
    ['foo(x)', '1:1: parse error: unknown function with name "foo"'],
    ['rate(x[5m], 1)', '1:1: parse error: expected 1 argument(s) in call to "rate", got 2'],
    ['rate(x)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['round()', '1:1: parse error: expected at least 1 argument(s) in call to "round", got 0'],
    ['round(x, 1, 2)', '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3'],
    ['abs(x,)', '1:6: parse error: trailing commas not allowed in function call args'],
    ['mad_over_time(x[5m])', '1:1: parse error: function "mad_over_time" is not enabled'],
    ['rate(x[5m])[5m]', '1:12: parse error: ranges only allowed for vector selectors'],
    ['foo offset 5m[5m]', '1:14: parse error: no offset modifiers allowed before range'],
    ['foo @ 1 [5m]', '1:9: parse error: no @ modifiers allowed before range'],
    ['foo offset 1m offset 2m', '1:1: parse error: offset may not be set multiple times'],
    ['foo @ 1 @ 2', '1:1: parse error: @ <timestamp> may not be set multiple times'],
    ['sum(x) offset 5m', '1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['1 @ 5', '1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['foo @ Inf', '1:1: parse error: timestamp out of bounds for @ modifier: +Inf'],
    ['foo @ bar', '1:7: parse error: unexpected identifier "bar" in @, expected timestamp'],
    ['foo offset bar', '1:12: parse error: unexpected identifier "bar" in offset, expected number, duration, step(), or range()'],
    ['-"a"', '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "string"'],
    ['(1)[5m:1m]', '1:1: parse error: subquery is only allowed on instant vector, got scalar instead'],
    ['sum(foo bar)', '1:9: parse error: unexpected identifier "bar" in aggregation'],
    ['a + fill(0) b', '1:5: parse error: binop fill modifiers are experimental and not enabled'],
    ['foo[5m] anchored', '1:1: parse error: anchored modifier is experimental and not enabled'],
    ['foo{"a.b"="x"}', '1:5: parse error: unexpected string "\\"a.b\\"" in label matching, expected identifier or "}"', '2'],
  ] as [string, string, string?][])('%s', (q, want, compat) => {
    const msg = errorOf(q, compat === '2' ? { compat: '2' } : {});
    expect(msg.startsWith(want)).toBe(true);
  });

  it('reports line and column on multi-line queries', () => {
    expect(errorOf('sum(\n  foo +\n)')).toBe('3:1: parse error: unexpected ")" in aggregation');
    expect(errorOf('foo +\n\n  bar baz')).toBe('3:7: parse error: unexpected identifier "baz"');
  });
});

describe('parseDuration', () => {
  it('parses Prometheus durations to ms', () => {
    expect(parseDuration('1h30m')).toBe(5400000);
    expect(parseDuration('5m')).toBe(300000);
    expect(parseDuration('1y2w3d4h5m6s7ms')).toBe(((((365 + 14 + 3) * 24 + 4) * 60 + 5) * 60 + 6) * 1000 + 7);
    expect(parseDuration('0')).toBe(0);
  });

  it.each(['1.5', '', '5', '1m1h', 'm', '1x'])('rejects %j', (s) => {
    expect(() => parseDuration(s)).toThrow(PromQLError);
  });
});

describe('formatExpr', () => {
  it.each([
    ['sum by (job) (rate(x{a="b"}[5m] offset 1h))', 'sum by (job) (rate(x{a="b"}[5m] offset 1h))'],
    ['a*on(b)group_left(c)d', 'a * on (b) group_left (c) d'],
    ['foo @ 10 offset -90s', 'foo @ 10.000 offset -1m30s'],
    ['x[1w:]', 'x[1w:]'],
    ['1e6 + 0.00001', '1e+06 + 1e-05'],
    ['"a\\nb"', '"a\\nb"'],
    ['{"a.b"="x"}', '{"a.b"="x"}'],
    ['topk(3, x)', 'topk(3, x)'],
  ])('%s', (q, want) => {
    expect(formatExpr(p(q))).toBe(want);
    expect(shape(p(formatExpr(p(q))))).toEqual(shape(p(q)));
  });
});

describe('byte escapes in strings', () => {
  const str = (q: string): string => {
    const e = parseExpr(q);
    if (e.kind !== 'StringLiteral') throw new Error(e.kind);
    return e.value;
  };
  it('valid UTF-8 byte sequences decode to their rune', () => {
    expect(str('"\\xc3\\xa9"')).toBe('é');
    expect(str('"\\303\\251"')).toBe('é');
  });
  it('invalid bytes stay distinct from U+FFFD and print back as \\x', () => {
    const v = str('"a\\xffb"');
    expect(v).not.toContain('\ufffd');
    expect(v).toHaveLength(3);
    expect(formatExpr(parseExpr('"a\\xffb"'))).toBe('"a\\xffb"');
    expect(str('"\\xed\\xa0\\x80"')).toHaveLength(3); // an encoded surrogate is three invalid bytes in Go
  });
});

describe('step() and range() in durations (experimental)', () => {
  const px = (q: string): Expr => parseExpr(q, { enableExperimentalFunctions: true });
  it('are kept for the query to fold and print back', () => {
    for (const q of ['foo[step()]', 'foo[step() + 1ms]', 'foo[min_of((step() + 1), 1h)]', 'foo[-step() * 2 + 1]', 'foo offset (-(step() * 2))', 'foo[5m:step()] offset range()', 'foo offset -min_of(step(), 1s)']) {
      expect(formatExpr(px(q))).toBe(q);
      expect(formatExpr(px(formatExpr(px(q))))).toBe(q);
    }
    expect(formatExpr(px('foo offset -step()'))).toBe('foo offset -step()');
  });
  it('need experimental features', () => {
    expect(() => parseExpr('foo[step()]')).toThrow(/experimental/);
  });
});
