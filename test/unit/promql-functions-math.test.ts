import { describe, expect, it } from 'vitest';
import { RE2 } from 're2-wasm';
import {
  arith,
  clamp,
  clampDropsAll,
  clampMax,
  clampMin,
  compare,
  DATE_FUNCTIONS,
  MATH_FUNCTIONS,
  round,
} from '../../src/promql/functions/math.js';
import { frexp, goPow, lastFrexpExp, ldexp } from '../../src/promql/functions/gomath.js';
import { fma } from '../../src/promql/functions/gofma.js';
import {
  AvgAccumulator,
  bucketFraction,
  bucketQuantile,
  kahanSumInc,
  KAHAN,
  quantile,
  SumAccumulator,
  VarianceAccumulator,
} from '../../src/promql/functions/aggregate.js';
import { expandTemplate, labelJoin, labelReplace, validLabelName } from '../../src/promql/functions/labels.js';
import { labelsFromRecord, labelsToRecord } from '../../src/model/labels.js';
import { prng } from '../support/prng.js';

const fn = (name: string) => MATH_FUNCTIONS.get(name)!;
const date = (name: string) => DATE_FUNCTIONS.get(name)!;

describe('math functions', () => {
  it('has every function', () => {
    for (const n of 'abs ceil floor exp sqrt ln log2 log10 sgn sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh deg rad'.split(' ')) {
      expect(MATH_FUNCTIONS.has(n), n).toBe(true);
    }
  });
  it('Go semantics for special values', () => {
    expect(Object.is(fn('sgn')(-0), -0)).toBe(true);
    expect(fn('sgn')(NaN)).toBeNaN();
    expect(fn('sgn')(-3)).toBe(-1);
    expect(fn('log2')(8)).toBe(3);
    expect(fn('log2')(0)).toBe(-Infinity);
    expect(fn('log2')(-1)).toBeNaN();
    expect(fn('log2')(Infinity)).toBe(Infinity);
    expect(fn('log2')(2 ** -1074)).toBe(-1074);
    // Go Log10 = Log(x) * (1/Ln10): not exact for powers of ten.
    expect(fn('log10')(1000)).toBe(Math.log(1000) * Math.LOG10E);
    expect(fn('log10')(10)).toBe(1);
    expect(fn('ln')(-1)).toBeNaN();
    expect(fn('asin')(2)).toBeNaN();
    expect(fn('asin')(1)).toBe(Math.PI / 2);
    expect(Object.is(fn('asin')(-0), -0)).toBe(true);
    expect(fn('acos')(1)).toBe(0);
    expect(fn('atan')(Infinity)).toBe(Math.PI / 2);
    expect(fn('atan')(1)).toBe(Math.PI / 4);
    expect(fn('deg')(Math.PI)).toBe(180);
    expect(fn('rad')(180)).toBe(Math.PI);
    expect(Object.is(fn('ceil')(-0.5), -0)).toBe(true);
  });
  it('Go atan/asin stay within an ulp of the JS versions', () => {
    const random = prng(1);
    for (let i = 0; i < 2000; i++) {
      // Go's asin is atan(x/sqrt(1-x²)), a few ulps off near ±1 (|x| > 0.9998 failed ~1 run in 8),
      // so the comparison stays inside ±0.99.
      const x = (random() * 2 - 1) * 0.99;
      expect(Math.abs(fn('asin')(x) - Math.asin(x))).toBeLessThanOrEqual(9e-16);
      const y = (random() - 0.5) * 1e6;
      expect(Math.abs(fn('atan')(y) - Math.atan(y))).toBeLessThanOrEqual(9e-16);
    }
  });
  it('round: floor(x*inv + 0.5)/inv', () => {
    expect(Object.is(round(-0.5), 0)).toBe(true); // floor(-0.5 + 0.5) = +0
    expect(round(-0.6)).toBe(-1);
    expect(round(2.5)).toBe(3);
    expect(round(-2.5)).toBe(-2);
    expect(round(0.125, 0.25)).toBe(0.25);
    expect(round(17, 5)).toBe(15);
    expect(round(NaN)).toBeNaN();
    expect(round(Infinity)).toBe(Infinity);
  });
  it('clamp family with Go Max/Min', () => {
    expect(clamp(5, 0, 3)).toBe(3);
    expect(clamp(-5, 0, 3)).toBe(0);
    expect(clamp(1, 3, 0)).toBeNaN();
    expect(clampDropsAll(3, 0)).toBe(true);
    expect(clampDropsAll(0, 0)).toBe(false);
    expect(clamp(NaN, 0, 3)).toBeNaN();
    expect(clamp(NaN, Infinity, Infinity)).toBe(Infinity); // Go Max(+Inf, NaN) = +Inf
    expect(clampMax(NaN, -Infinity)).toBe(-Infinity); // Go Min(-Inf, NaN) = -Inf
    expect(clampMin(NaN, 0)).toBeNaN();
    expect(clampMin(-1, 0)).toBe(0);
    expect(clampMax(7, 5)).toBe(5);
    expect(Object.is(clampMin(-0, 0), 0)).toBe(true);
  });
});

describe('date functions (functions.test)', () => {
  it('matches expectations', () => {
    expect(date('year')(0)).toBe(1970);
    expect(date('year')(1136239445)).toBe(2006);
    expect(date('month')(1136239445)).toBe(1);
    expect(date('day_of_month')(1136239445)).toBe(2);
    expect(date('day_of_year')(1136239445)).toBe(2);
    expect(date('day_of_week')(0)).toBe(4);
    expect(date('day_of_week')(1136239445)).toBe(1);
    expect(date('hour')(1136239445)).toBe(22);
    expect(date('minute')(1136239445)).toBe(4);
    expect(date('year')(1230767999)).toBe(2008);
    expect(date('year')(1230768000)).toBe(2009);
    expect(date('month')(1456790399) + date('day_of_month')(1456790399) / 100).toBe(2.29);
    expect(date('month')(1456790400) + date('day_of_month')(1456790400) / 100).toBe(3.01);
    expect(date('day_of_year')(1483191420)).toBe(366);
    expect(date('day_of_year')(1672493820)).toBe(365);
    expect(date('days_in_month')(1454284800)).toBe(29);
    expect(date('days_in_month')(1485907200)).toBe(28);
  });
  it('truncates like Go int64() and agrees with Date for random times', () => {
    expect(date('day_of_week')(-1)).toBe(3);
    expect(date('hour')(-0.5)).toBe(0); // truncated to 0
    expect(date('hour')(-1)).toBe(23);
    // int64(NaN), int64(±Inf) and int64(|v| ≥ 2^63) are MinInt64 on amd64: 292277026596-12-04 15:30 (a Sunday),
    // as Prometheus 2.42 answers.
    for (const v of [NaN, Infinity, -Infinity, 1e19, -1e300]) {
      expect([date('year')(v), date('month')(v), date('day_of_month')(v), date('day_of_year')(v)]).toEqual([292277026596, 12, 4, 339]);
      expect([date('day_of_week')(v), date('hour')(v), date('minute')(v), date('days_in_month')(v)]).toEqual([0, 15, 30, 31]);
    }
    const random = prng(2);
    for (let i = 0; i < 2000; i++) {
      const s = Math.floor((random() - 0.3) * 8e10);
      const d = new Date(s * 1000);
      expect(date('year')(s)).toBe(d.getUTCFullYear());
      expect(date('month')(s)).toBe(d.getUTCMonth() + 1);
      expect(date('day_of_month')(s)).toBe(d.getUTCDate());
      expect(date('day_of_week')(s)).toBe(d.getUTCDay());
      expect(date('hour')(s)).toBe(d.getUTCHours());
      expect(date('minute')(s)).toBe(d.getUTCMinutes());
      const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
      const dayStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      expect(date('day_of_year')(s)).toBe((dayStart - startOfYear) / 86400000 + 1);
      expect(date('days_in_month')(s)).toBe(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate());
    }
  });
});

describe('Go amd64 kernels (values from Prometheus 2.42 on linux/amd64)', () => {
  it('exp is the FMA path of exp_amd64.s', () => {
    expect(fn('exp')(1.5)).toBe(4.481689070338065); // Math.exp: 4.4816890703380645
    expect(fn('exp')(709.5)).toBe(Infinity); // round(x·log2 e) = 1024 overflows although e^709.5 < MaxFloat64
    expect(fn('exp')(-740)).toBe(4.2e-322);
    expect(fn('exp')(-Infinity)).toBe(0);
    expect(fn('exp')(NaN)).toBeNaN();
  });
  it('ln is log_amd64.s (subnormals are not normalised)', () => {
    expect(fn('ln')(5e-324)).toBe(-709.0895657128241);
    expect(fn('ln')(0)).toBe(-Infinity);
    expect(fn('ln')(-0)).toBe(-Infinity);
    expect(fn('ln')(-1)).toBeNaN();
  });
  it('trigonometric and hyperbolic functions', () => {
    expect(fn('cos')(2.5491974310521308e224)).toBe(0.000014212832050612936); // Payne–Hanek with Go's bit refill
    expect(fn('tan')(2.5491974310521308e224)).toBe(-70358.95424204864);
    expect(fn('sin')(1e22)).toBe(-0.8522008497671889);
    expect(fn('sinh')(0.6497488374589011)).toBe(0.6964414328765245);
    expect(fn('sinh')(-0.6419901244807988)).toBe(-0.6870073902172709);
    expect(fn('cosh')(-0.0002582469585945546)).toBe(1.000000033345746);
    expect(Object.is(fn('sin')(-0), -0)).toBe(true);
    expect(fn('cos')(Infinity)).toBeNaN();
  });
  it('fma rounds once', () => {
    const a = 1 + 2 ** -30;
    expect(fma(a, a, -1)).toBe(2 ** -29 + 2 ** -60); // a*a - 1 in doubles loses the 2^-60
    expect(fma(0.1, 10, -1)).toBe(5.551115123125783e-17);
    expect(fma(2, 3, 4)).toBe(10);
    expect(fma(Infinity, 1, 1)).toBe(Infinity);
  });
});

describe('binary operators', () => {
  it('% is Go math.Mod', () => {
    expect(arith('%', -7, 3)).toBe(-1);
    expect(arith('%', 7, -3)).toBe(1);
    expect(arith('%', 5, 0)).toBeNaN();
    expect(arith('%', Infinity, 2)).toBeNaN();
    expect(arith('%', 5, Infinity)).toBe(5);
    expect(Object.is(arith('%', -6, 3), -0)).toBe(true);
  });
  it('^ is Go math.Pow with its special cases', () => {
    expect(arith('^', 1, NaN)).toBe(1);
    expect(arith('^', NaN, 0)).toBe(1);
    expect(arith('^', -1, Infinity)).toBe(1);
    expect(arith('^', -1, -Infinity)).toBe(1);
    expect(arith('^', 2, 10)).toBe(1024);
    expect(arith('^', -2, 3)).toBe(-8);
    expect(arith('^', -8, 1 / 3)).toBeNaN();
    expect(arith('^', 0, -1)).toBe(Infinity);
    expect(arith('^', -0, -1)).toBe(-Infinity);
    expect(arith('^', -0, -2)).toBe(Infinity);
    expect(Object.is(arith('^', -0, 3), -0)).toBe(true);
    expect(arith('^', -Infinity, 3)).toBe(-Infinity);
    expect(arith('^', -Infinity, -3)).toBe(-0);
    expect(arith('^', 0.5, Infinity)).toBe(0);
    expect(arith('^', 2, -Infinity)).toBe(0);
    expect(arith('^', 4, 0.5)).toBe(2);
    expect(arith('^', 2, 1024)).toBe(Infinity);
    expect(arith('^', 2, -1074)).toBe(5e-324);
    expect(arith('^', 2, -1075)).toBe(0);
    expect(arith('^', 10, 22)).toBe(1e22);
    expect(arith('^', 10, 23)).toBe(1e23);
    expect(arith('^', 2, 0.5)).toBe(Math.SQRT2);
    expect(arith('^', 1.0000001, 2 ** 63)).toBe(Infinity);
  });
  it('Go Pow agrees with ** to within a few ulps', () => {
    const random = prng(3);
    for (let i = 0; i < 5000; i++) {
      const x = random() * 100;
      const y = (random() - 0.5) * 60;
      const g = goPow(x, y);
      const j = x ** y;
      expect(Math.abs(g - j) / j).toBeLessThan(1e-13);
    }
  });
  it('frexp/ldexp', () => {
    expect(frexp(8)).toBe(0.5);
    expect(lastFrexpExp()).toBe(4);
    expect(frexp(5e-324)).toBe(0.5);
    expect(lastFrexpExp()).toBe(-1073);
    expect(ldexp(0.5, -1073)).toBe(5e-324);
    expect(ldexp(0.75, -1074)).toBe(5e-324); // rounds once
    expect(ldexp(0.5, 1025)).toBe(Infinity);
    expect(Object.is(ldexp(-0.5, -2000), -0)).toBe(true);
  });
  it('atan2 and comparisons', () => {
    expect(arith('atan2', 1, 1)).toBe(Math.PI / 4);
    expect(arith('atan2', 0, -1)).toBe(Math.PI);
    expect(Object.is(arith('atan2', -0, 1), -0)).toBe(true);
    expect(arith('atan2', Infinity, -Infinity)).toBe((3 * Math.PI) / 4);
    expect(arith('atan2', NaN, 1)).toBeNaN();
    expect(compare('==', NaN, NaN)).toBe(false);
    expect(compare('!=', NaN, NaN)).toBe(true);
    expect(compare('>=', 1, 1)).toBe(true);
    expect(compare('<', NaN, 1)).toBe(false);
    expect(arith('/', 1, -0)).toBe(-Infinity);
    expect(arith('/', 0, 0)).toBeNaN();
  });
});

describe('aggregation helpers', () => {
  it('kahanSumInc writes sum and compensation', () => {
    const s = kahanSumInc(1, 1e100, 0);
    expect(s).toBe(1e100);
    expect(KAHAN[0]).toBe(1e100);
    expect(KAHAN[1]).toBe(1);
    kahanSumInc(Infinity, 1, 5);
    expect(KAHAN[1]).toBe(0);
  });
  it('sum / avg / stddev accumulators (aggregators.test)', () => {
    const sum = new SumAccumulator();
    sum.init(2);
    for (const v of [8, 1e100, -1e100]) sum.add(v);
    expect(sum.value()).toBe(10);
    const plain = new SumAccumulator('2');
    plain.init(2);
    for (const v of [8, 1e100, -1e100]) plain.add(v);
    expect(plain.value()).toBe(0);

    const avg = new AvgAccumulator();
    avg.init(2);
    for (const v of [8, 1e100, -1e100]) avg.add(v);
    expect(avg.value()).toBe(2.5);
    const big = 9.988465674311579e307;
    avg.init(big);
    for (const v of [big, big, big]) avg.add(v);
    expect(avg.value()).toBe(big);
    avg.init(big);
    for (const v of [-big, big, -big]) avg.add(v);
    expect(avg.value()).toBe(0);
    avg.init(Infinity);
    avg.add(2);
    expect(avg.value()).toBe(Infinity);
    avg.init(Infinity);
    avg.add(-Infinity);
    expect(avg.value()).toBeNaN();
    const avg2 = new AvgAccumulator('2');
    avg2.init(Infinity);
    avg2.add(2);
    expect(avg2.value()).toBe(Infinity);
    avg2.init(1);
    for (const v of [2, 3, 4]) avg2.add(v);
    expect(avg2.value()).toBe(2.5);
    // 12 × 52 → exactly 52 (aggregators.test: avg(foo) - 52 == 0).
    avg.init(52);
    for (let i = 0; i < 11; i++) avg.add(52);
    expect(avg.value()).toBe(52);

    const v = new VarianceAccumulator();
    const reqs = [100, 200, 300, 400, 500, 600, 700, 800];
    v.init(reqs[0]!);
    for (const x of reqs.slice(1)) v.add(x);
    expect(v.stdvar()).toBe(52500);
    expect(v.stddev()).toBeCloseTo(229.12878474779, 9);
    v.init(1.33 * 10);
    v.add(1.33 * 10);
    v.add(1.33 * 10);
    expect(v.stddev()).toBe(0);
    v.init(Infinity);
    expect(v.stdvar()).toBeNaN();
    const v2 = new VarianceAccumulator('2');
    v2.init(Infinity);
    expect(v2.stdvar()).toBe(0);
  });
  it('quantile (Hyndman-Fan 7, NaN first)', () => {
    expect(quantile(0.5, [1, 2, 3, 4])).toBe(2.5);
    expect(quantile(0.25, Float64Array.of(4, 3, 2, 1))).toBe(1.75);
    expect(quantile(0.5, [])).toBeNaN();
    expect(quantile(NaN, [1])).toBeNaN();
    expect(quantile(-0.1, [1])).toBe(-Infinity);
    expect(quantile(1.1, [1])).toBe(Infinity);
    expect(quantile(0, [3, NaN, 1])).toBeNaN();
    expect(quantile(1, Float64Array.of(3, NaN, 1))).toBe(3);
    expect(quantile(0.5, Float64Array.of(3, NaN, 1))).toBe(1);
    const buf = Float64Array.of(9, 1, 5, 100, 100);
    expect(quantile(1, buf, 3)).toBe(9);
    expect(quantile(0.5, [1, 5, 9, 100], 3)).toBe(5);
    expect(quantile(0.8, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe(8.2);
  });
  it('bucketQuantile (histograms.test)', () => {
    const nonmono = () => [
      { upperBound: 0.1, count: 20 },
      { upperBound: 1, count: 10 },
      { upperBound: 10, count: 50 },
      { upperBound: 100, count: 40 },
      { upperBound: 1000, count: 90 },
      { upperBound: Infinity, count: 80 },
    ];
    expect(bucketQuantile(0.01, nonmono(), '3').value).toBeCloseTo(0.0045, 15);
    const r = bucketQuantile(0.5, nonmono(), '3');
    expect(r.value).toBe(8.5);
    expect(r.forcedMonotonic).toBe(true);
    expect(bucketQuantile(0.99, nonmono(), '3').value).toBeCloseTo(979.75, 10);
    expect(bucketQuantile(0.5, nonmono(), '2').value).toBe(8.5);
    const b = (pairs: [number, number][]) => pairs.map(([upperBound, count]) => ({ upperBound, count }));
    expect(bucketQuantile(NaN, b([[Infinity, 1]]), '3').value).toBeNaN();
    expect(bucketQuantile(-1, b([[Infinity, 1]]), '3').value).toBe(-Infinity);
    expect(bucketQuantile(2, b([[Infinity, 1]]), '3').value).toBe(Infinity);
    expect(bucketQuantile(0.5, b([[1, 1], [2, 2]]), '3').value).toBeNaN(); // no +Inf
    expect(bucketQuantile(0.5, b([[Infinity, 1]]), '3').value).toBeNaN(); // < 2 buckets
    expect(bucketQuantile(0.5, b([[1, 0], [Infinity, 0]]), '3').value).toBeNaN(); // no observations
    expect(bucketQuantile(0.99, b([[1, 1], [2, 2], [Infinity, 10]]), '3').value).toBe(2); // +Inf bucket
    expect(bucketQuantile(0.1, b([[-1, 5], [2, 6], [Infinity, 10]]), '3').value).toBe(-1);
    expect(bucketQuantile(0.5, b([[Infinity, 10], [2, 10], [1, 0]]), '3').value).toBe(1.5); // unsorted
    // Equal bounds are merged: le="1" and le="1.0".
    expect(bucketQuantile(0.5, b([[1, 1], [1, 1], [2, 4], [Infinity, 4]]), '3').value).toBe(1);
    // Tiny relative deltas are flattened in 3.x, kept (and raised) in 2.x.
    const tiny = () => b([[1, 10], [2, 10 - 1e-14], [3, 20], [Infinity, 20]]);
    const t3 = bucketQuantile(0.5, tiny(), '3');
    expect(t3.fixedPrecision).toBe(true);
    expect(t3.forcedMonotonic).toBe(false);
    expect(t3.value).toBe(1);
    const t2 = bucketQuantile(0.5, tiny(), '2');
    expect(t2.value).toBe(1);
  });
  it('bucketFraction (histograms.test)', () => {
    const b = (pairs: [number, number][]) => pairs.map(([upperBound, count]) => ({ upperBound, count }));
    const h2 = () => b([[0, 0], [2, 4], [4, 8], [6, 12], [Infinity, 12]]);
    expect(bucketFraction(0, 4, h2())).toBe(0.6666666666666666);
    expect(bucketFraction(0, 6, h2())).toBe(1);
    expect(bucketFraction(0, 3.5, h2())).toBe(0.5833333333333334);
    expect(bucketFraction(0, 1.5, b([[1, 1], [2, 3], [3, 6], [Infinity, 100]]))).toBe(0.02);
    expect(bucketFraction(-4, -2, b([[-3, 10], [-2, 12], [-1, 15], [Infinity, 100]]))).toBe(0.02);
    expect(bucketFraction(NaN, 1, h2())).toBeNaN();
    expect(bucketFraction(2, 1, h2())).toBe(0);
    expect(bucketFraction(0, 1, [])).toBeNaN();
  });
});

describe('label_replace / label_join', () => {
  const ls = labelsFromRecord({ __name__: 'testmetric', src: 'source-value-10', dst: 'original-destination-value' });
  const re = (s: string) => new RE2(`^(?s:${s})$`, 'u');
  it('replaces with Go Expand rules', () => {
    expect(labelsToRecord(labelReplace(ls, 'dst', 'destination-value-$1', 'src', re('source-value-(.*)'))).dst).toBe('destination-value-10');
    // No match: unchanged (same array).
    expect(labelReplace(ls, 'dst', 'x', 'src', re('source-value-(.*)x'))).toBe(ls);
    // Regex is anchored: a partial match does not count.
    expect(labelReplace(ls, 'dst', 'x', 'src', re('value-(.*)'))).toBe(ls);
    // $1x is group "1x" (empty); ${1}x is group 1 then "x".
    expect(labelsToRecord(labelReplace(ls, 'dst', '$1x', 'src', re('source-value-(.*)'))).dst).toBeUndefined();
    expect(labelsToRecord(labelReplace(ls, 'dst', '${1}x', 'src', re('source-value-(.*)'))).dst).toBe('10x');
    // Named groups, $$ escapes, missing groups.
    expect(labelsToRecord(labelReplace(ls, 'dst', '$name-$$-$2', 'src', re('source-value-(?P<name>.*)'))).dst).toBe('10-$-');
    // Empty result removes the label; missing src label reads as "".
    expect(labelsToRecord(labelReplace(ls, 'dst', '', 'src', re('.*'))).dst).toBeUndefined();
    expect(labelsToRecord(labelReplace(ls, 'new', 'x$1', 'nosuch', re('(.*)'))).new).toBe('x');
    // (?s): dot matches newline.
    const nl = labelsFromRecord({ a: 'x\ny' });
    expect(labelsToRecord(labelReplace(nl, 'b', '$1', 'a', re('(.*)'))).b).toBe('x\ny');
    // Unicode letters in group names; malformed templates stay literal.
    expect(expandTemplate('${1', ['ab', 'a'], undefined)).toBe('${1');
    expect(expandTemplate('$ $1', ['ab', 'a'], undefined)).toBe('$ a');
    expect(expandTemplate('$01', ['ab', 'a'], undefined)).toBe('');
    expect(expandTemplate('$é', ['ab'], { é: 'z' })).toBe('z');
    expect(expandTemplate('$0', ['whole'], undefined)).toBe('whole');
    // Non-participating group → empty.
    expect(labelsToRecord(labelReplace(ls, 'dst', '[$1|$2]', 'src', re('source-(value)-10|(x)'))).dst).toBe('[value|]');
  });
  it('label_join', () => {
    const l = labelsFromRecord({ src: 'a', src1: 'b', src2: 'c' });
    expect(labelsToRecord(labelJoin(l, 'dst', '-', ['src', 'src1', 'src2'])).dst).toBe('a-b-c');
    expect(labelsToRecord(labelJoin(l, 'dst', '-', ['src', 'missing', 'src2'])).dst).toBe('a--c');
    expect(labelsToRecord(labelJoin(l, 'src', '', ['nope'])).src).toBeUndefined();
    expect(labelsToRecord(labelJoin(l, 'dst', ',', [])).dst).toBeUndefined();
  });
  it('validLabelName', () => {
    expect(validLabelName('foo_1', '2')).toBe(true);
    expect(validLabelName('1foo', '2')).toBe(false);
    expect(validLabelName('~invalid', '2')).toBe(false);
    expect(validLabelName('~invalid', '3')).toBe(true);
    expect(validLabelName('a.b', '3')).toBe(true);
    expect(validLabelName('', '3')).toBe(false);
    expect(validLabelName('\ud800', '3')).toBe(false);
  });
});
