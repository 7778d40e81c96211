import { describe, expect, it } from 'vitest';
import type { PromQLCompat } from '../../src/promql/types.js';
import type { Window } from '../../src/promql/functions/window.js';
import { ResetIndex } from '../../src/promql/functions/reset-index.js';
import { openMetricsFloat } from '../../src/promql/eval/histograms.js';
import { ratioIncludes } from '../../src/promql/eval/limit-ratio.js';
import { xxhash64 } from '../../src/promql/functions/xxhash64.js';
import { infoSelect } from '../../src/promql/eval/info-select.js';
import { parseExpr } from '../../src/promql/parser.js';
import {
  avgOverTime,
  changes,
  countOverTime,
  deriv,
  doubleExponentialSmoothing,
  extrapolatedRate,
  firstOverTime,
  instantValue,
  lastOverTime,
  madOverTime,
  maxOverTime,
  minOverTime,
  predictLinear,
  presentOverTime,
  quantileOverTime,
  resets,
  stddevOverTime,
  stdvarOverTime,
  sumOverTime,
  tsOfFirstOverTime,
  tsOfLastOverTime,
  tsOfMaxOverTime,
  tsOfMinOverTime,
  validateSmoothingFactors,
} from '../../src/promql/functions/range.js';

const M = 60_000;

/** Expands promql test-DSL values: `0+10x4`, `1x3`, `_`, `_x2`, `NaN`, `Inf`. null = no sample. */
function expand(spec: string): (number | null)[] {
  const out: (number | null)[] = [];
  for (const item of spec.trim().split(/\s+/)) {
    if (item === '_') {
      out.push(null);
      continue;
    }
    let m = /^_x(\d+)$/.exec(item);
    if (m) {
      for (let i = 0; i < Number(m[1]); i++) out.push(null);
      continue;
    }
    m = /^([-+]?[^-+x]+)([-+][^x]+)x(\d+)$/.exec(item);
    if (m) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      for (let i = 0; i <= Number(m[3]); i++) out.push(a + i * b);
      continue;
    }
    m = /^([^x]+)x(\d+)$/.exec(item);
    if (m) {
      for (let i = 0; i <= Number(m[2]); i++) out.push(parseNum(m[1]!));
      continue;
    }
    out.push(parseNum(item));
  }
  return out;
}

function parseNum(s: string): number {
  if (/^[-+]?Inf$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^NaN$/i.test(s)) return NaN;
  return Number(s);
}

/** The window of `x[range] offset o` evaluated at `t` for a series loaded with `interval`. */
function resetIndex(v: Float64Array): ResetIndex {
  const r = new ResetIndex();
  r.reset(v);
  return r;
}

function win(spec: string, interval: number, t: number, range: number, offset = 0, compat: PromQLCompat = '3', at?: number): Window {
  const vals = expand(spec);
  const ts: number[] = [];
  const vs: number[] = [];
  vals.forEach((v, i) => {
    if (v !== null) {
      ts.push(i * interval);
      vs.push(v);
    }
  });
  const base = at ?? t;
  const rangeEnd = base - offset;
  const rangeStart = rangeEnd - range;
  let from = 0;
  while (from < ts.length && (compat === '3' ? ts[from]! <= rangeStart : ts[from]! < rangeStart)) from++;
  let to = from;
  while (to < ts.length && ts[to]! <= rangeEnd) to++;
  const v = Float64Array.from(vs);
  return { t: Float64Array.from(ts), v, from, to, rangeStart, rangeEnd, evalTime: t, resets: resetIndex(v) };
}

const rate = (w: Window, c: PromQLCompat = '3') => extrapolatedRate(w, true, true, c);
const increase = (w: Window, c: PromQLCompat = '3') => extrapolatedRate(w, true, false, c);
const delta = (w: Window, c: PromQLCompat = '3') => extrapolatedRate(w, false, false, c);

describe('rate / increase / delta (functions.test)', () => {
  it('increase over 50m and 100m with zero-point clamp', () => {
    const at = 50 * M;
    expect(increase(win('0+10x10', 5 * M, at, 50 * M))).toBe(100);
    expect(increase(win('0+18x5 0+18x5', 5 * M, at, 50 * M))).toBe(160);
    expect(increase(win('10+10x10', 5 * M, at, 50 * M))).toBe(100);
    expect(increase(win('1+10x10', 5 * M, at, 50 * M))).toBe(100);
    expect(increase(win('0+10x10', 5 * M, at, 100 * M))).toBe(100);
    expect(increase(win('0+18x5 0+18x5', 5 * M, at, 100 * M))).toBeCloseTo(162, 12);
    expect(increase(win('10+10x10', 5 * M, at, 100 * M))).toBeCloseTo(105, 12);
    expect(increase(win('1+10x10', 5 * M, at, 100 * M))).toBeCloseTo(101, 12);
  });

  it('counter resets', () => {
    expect(increase(win('0 1 2 3 2 3 4', 5 * M, 30 * M, 30 * M))).toBe(7);
    expect(rate(win('0+27x4 0+27x5', 5 * M, 50 * M, 50 * M))).toBeCloseTo(0.08, 15);
    expect(rate(win('0+10x9 0 10', 5 * M, 50 * M, 5 * M))).toBeNull();
    expect(rate(win('0+10x9 0 10', 5 * M, 50 * M, 6 * M))).toBe(0);
  });

  it('rate per second, with offset', () => {
    expect(rate(win('0+80x10', 5 * M, 50 * M, 50 * M))).toBeCloseTo(0.26666666666666666, 15);
    expect(rate(win('0+10x10', 5 * M, 50 * M, 10 * M, 5 * M))).toBe(0.03333333333333333);
    expect(rate(win('0+20x10', 5 * M, 50 * M, 10 * M, 5 * M))).toBe(0.06666666666666667);
  });

  it('zero cutoff: 3.x threshold first, then clamp', () => {
    const starts = [0, 60, 120, 180, 240, 300];
    const want10m = [0.5, 0.55, 0.6, 0.6, 0.6, 0.6];
    starts.forEach((s, i) => {
      expect(rate(win(`${s}+240x10`, 4 * M, 10 * M, 20 * M))).toBeCloseTo(want10m[i]!, 14);
      expect(rate(win(`${s}+240x10`, 4 * M, 50 * M, 20 * M))).toBeCloseTo(0.6, 14);
    });
  });

  it("2.x clamps before the threshold test", () => {
    // 2.42: a young counter can be extrapolated back to zero by up to 1.1 * avg interval.
    // Window (-10m, 10m] of a 4m series starting at 180: samples 180@0 420@4m 660@8m.
    const w = win('180+240x10', 4 * M, 10 * M, 20 * M, 0, '2');
    // 2.x: durationToZero = 480 * 180/480 s = 180 s < threshold 264 s → extrapolate 180 s.
    // factor = (480 + 180 + 120) / 480; rate = 480 * factor / 1200.
    expect(rate(w, '2')).toBeCloseTo(0.65, 14);
    expect(rate(win('180+240x10', 4 * M, 10 * M, 20 * M))).toBeCloseTo(0.6, 14);
  });

  it('delta has no reset handling and needs two samples', () => {
    expect(delta(win('0+10x10', 5 * M, 20 * M, 20 * M))).toBe(40);
    expect(delta(win('1', 5 * M, 0, 5 * M))).toBeNull();
    expect(delta(win('10 0', 5 * M, 5 * M, 10 * M))).toBeLessThan(0);
  });
});

describe('irate / idelta', () => {
  it('uses the last two samples', () => {
    expect(instantValue(win('0+10x10', 5 * M, 50 * M, 50 * M), true)).toBe(10 / 300);
    expect(instantValue(win('0+10x10', 5 * M, 50 * M, 50 * M), false)).toBe(10);
    // Reset: irate uses the last value.
    expect(instantValue(win('5 10 2', 5 * M, 10 * M, 15 * M), true)).toBe(2 / 300);
    expect(instantValue(win('5 10 2', 5 * M, 10 * M, 15 * M), false)).toBe(-8);
    expect(instantValue(win('5', 5 * M, 0, 15 * M), true)).toBeNull();
  });
  it('equal timestamps give no output', () => {
    const v = Float64Array.of(1, 2, 3);
    const w: Window = { t: Float64Array.of(0, 1000, 1000), v, from: 0, to: 3, rangeStart: -1, rangeEnd: 1000, evalTime: 1000, resets: resetIndex(v) };
    expect(instantValue(w, true)).toBeNull();
  });
});

describe('resets / changes', () => {
  it('counts', () => {
    expect(resets(win('0 1 2 3 2 3 1', 5 * M, 30 * M, 30 * M))).toBe(2);
    expect(changes(win('NaN NaN NaN', 5 * M, 15 * M, 20 * M))).toBe(0);
    expect(changes(win('0 NaN 0', 5 * M, 15 * M, 20 * M))).toBe(2);
    expect(changes(win('1', 5 * M, 0, 20 * M))).toBe(0);
    expect(resets(win('1', 5 * M, 0, 20 * M))).toBe(0);
  });

  it('reset index matches a rescan for every sub-window, NaN included', () => {
    const v = Float64Array.of(3, 1, 2, NaN, 0, 5, 5, 4, -1, Infinity, 2, 2);
    const idx = resetIndex(v);
    for (let from = 0; from <= v.length; from++) {
      for (let to = from; to <= v.length; to++) {
        let want = 0;
        for (let i = from + 1; i < to; i++) if (v[i]! < v[i - 1]!) want++;
        expect(idx.count(from, to)).toBe(want);
      }
    }
    // Re-pointing at another series invalidates the prefix.
    idx.reset(Float64Array.of(1, 2, 3));
    expect(idx.count(0, 3)).toBe(0);
  });
});

describe('deriv / predict_linear (functions.test)', () => {
  it('deriv', () => {
    expect(deriv(win('0+80x10', 5 * M, 50 * M, 50 * M))).toBeCloseTo(0.26666666666666666, 15);
    expect(deriv(win('0+10x4 0+10x5', 5 * M, 50 * M, 100 * M))).toBeCloseTo(0.010606060606060607, 15);
    expect(deriv(win('-Inf 0+80x10 Inf', 5 * M, 100 * M, 100 * M))).toBeNaN();
    expect(deriv(win('1', 5 * M, 0, 100 * M))).toBeNull();
    expect(deriv(win('5x10', 5 * M, 50 * M, 100 * M))).toBe(0);
  });
  it('predict_linear', () => {
    const s = '0+10x4 0+10x5';
    expect(predictLinear(win(s, 5 * M, 50 * M, 50 * M), 3600)).toBeCloseTo(70, 10);
    expect(predictLinear(win(s, 5 * M, 50 * M, 55 * M, 0, '3', 3000_000), 3600)).toBeCloseTo(76.81818181818181, 10);
    expect(predictLinear(win(s, 5 * M, 10 * M, 55 * M, 0, '3', 3000_000), 3600)).toBeCloseTo(51.36363636363637, 10);
    expect(predictLinear(win(s, 5 * M, 70 * M, 55 * M, 0, '3', 3000_000), 3600)).toBeCloseTo(89.54545454545455, 10);
    expect(predictLinear(win('-Inf 0+80x10 Inf', 5 * M, 100 * M, 100 * M), 6000)).toBeNaN();
    expect(predictLinear(win('Inf Inf', 5 * M, 5 * M, 100 * M), 6000)).toBeNaN();
  });
});

describe('*_over_time', () => {
  it('sum_over_time is Kahan-compensated', () => {
    expect(sumOverTime(win('1e100 1 -1e100', 1 * M, 2 * M, 5 * M))).toBe(1);
    expect(sumOverTime(win('Inf 1', 1 * M, 1 * M, 5 * M))).toBe(Infinity);
    expect(sumOverTime(win('Inf -Inf', 1 * M, 1 * M, 5 * M))).toBeNaN();
    expect(sumOverTime(win('0.1 0.2 0.3', 1 * M, 2 * M, 5 * M))).toBe(0.6);
  });
  it('avg_over_time: direct mean while finite, incremental after overflow', () => {
    expect(avgOverTime(win('1 2 3 4', 1 * M, 3 * M, 5 * M))).toBe(2.5);
    expect(avgOverTime(win('1e100 1 -1e100 2', 1 * M, 3 * M, 5 * M))).toBe(0.75);
    const big = 9.988465674311579e307;
    expect(avgOverTime(win(`${big} ${big} ${big}`, 1 * M, 2 * M, 5 * M))).toBe(big);
    expect(avgOverTime(win(`${-big} ${-big}`, 1 * M, 1 * M, 5 * M))).toBe(-big);
    expect(avgOverTime(win(`${big} ${-big} ${big} ${-big}`, 1 * M, 3 * M, 5 * M))).toBe(0);
    expect(avgOverTime(win('Inf 1', 1 * M, 1 * M, 5 * M))).toBe(Infinity);
    expect(avgOverTime(win('Inf -Inf', 1 * M, 1 * M, 5 * M))).toBeNaN();
    expect(avgOverTime(win('1 NaN', 1 * M, 1 * M, 5 * M))).toBeNaN();
    expect(avgOverTime(win('1 2 3 4', 1 * M, 3 * M, 5 * M), '2')).toBe(2.5);
    expect(avgOverTime(win(`${big} ${big} ${big}`, 1 * M, 2 * M, 5 * M), '2')).toBe(big);
    expect(avgOverTime(win('Inf 1 Inf', 1 * M, 2 * M, 5 * M), '2')).toBe(Infinity);
  });
  it('min/max: NaN replaced by later values', () => {
    expect(minOverTime(win('NaN 3 1 NaN', 1 * M, 3 * M, 5 * M))).toBe(1);
    expect(maxOverTime(win('NaN 3 1 NaN', 1 * M, 3 * M, 5 * M))).toBe(3);
    expect(maxOverTime(win('NaN NaN', 1 * M, 1 * M, 5 * M))).toBeNaN();
    expect(minOverTime(win('2 NaN', 1 * M, 1 * M, 5 * M))).toBe(2);
  });
  it('count/present/last/first and timestamps', () => {
    const w = win('5 _ 7 3 3', 1 * M, 4 * M, 10 * M);
    expect(countOverTime(w)).toBe(4);
    expect(presentOverTime(w)).toBe(1);
    expect(lastOverTime(w)).toBe(3);
    expect(firstOverTime(w)).toBe(5);
    expect(tsOfFirstOverTime(w)).toBe(0);
    expect(tsOfLastOverTime(w)).toBe(240);
    expect(tsOfMaxOverTime(w)).toBe(120);
    expect(tsOfMinOverTime(w)).toBe(240); // ties pick the latest
    const empty = win('1', 1 * M, 10 * M, 1 * M);
    expect(countOverTime(empty)).toBeNull();
    expect(lastOverTime(empty)).toBeNull();
  });
  it('stddev/stdvar: population, exact 0 for constants', () => {
    expect(stdvarOverTime(win('2 4 4 4 5 5 7 9', 1 * M, 7 * M, 10 * M))).toBe(4);
    expect(stddevOverTime(win('2 4 4 4 5 5 7 9', 1 * M, 7 * M, 10 * M))).toBe(2);
    expect(stddevOverTime(win('1.33x10', 1 * M, 10 * M, 20 * M))).toBe(0);
    expect(stdvarOverTime(win('0.1x20', 1 * M, 20 * M, 30 * M))).toBe(0);
    expect(stdvarOverTime(win('42', 1 * M, 0, 30 * M))).toBe(0);
  });
  it('quantile_over_time and mad_over_time', () => {
    const w = win('0 1 2 3 4 5 6 7 8 9 10', 1 * M, 10 * M, 20 * M);
    expect(quantileOverTime(0.5, w)).toBe(5);
    expect(quantileOverTime(0.95, w)).toBe(9.5);
    expect(quantileOverTime(0, w)).toBe(0);
    expect(quantileOverTime(1, w)).toBe(10);
    expect(quantileOverTime(-1, w)).toBe(-Infinity);
    expect(quantileOverTime(2, w)).toBe(Infinity);
    expect(quantileOverTime(NaN, w)).toBeNaN();
    expect(Array.from(w.v)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // input untouched
    expect(madOverTime(win('4 6 2 1 999 1 2', 1 * M, 6 * M, 20 * M), '3')).toBe(1);
    expect(madOverTime(win('1 2 NaN 4', 10_000, 30_000, 40_000), '3')).toBeNaN();
    expect(madOverTime(win('1 2 NaN 4', 10_000, 30_000, 40_000), '2')).toBe(0.5);
  });
});

describe('double_exponential_smoothing', () => {
  it('smooths a linear series exactly and validates factors', () => {
    expect(doubleExponentialSmoothing(win('0+10x10', 5 * M, 50 * M, 50 * M), 0.5, 0.5)).toBeCloseTo(100, 10);
    expect(doubleExponentialSmoothing(win('1', 5 * M, 0, 50 * M), 0.5, 0.5)).toBeNull();
    expect(validateSmoothingFactors(0.5, 0.1)).toBeNull();
    expect(validateSmoothingFactors(1, 0.1)).toBe('invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000');
    expect(validateSmoothingFactors(0.5, 0)).toBe('invalid trend factor. Expected: 0 < tf < 1, got: 0.000000');
    expect(validateSmoothingFactors(-Infinity, 0.1)).toBe('invalid smoothing factor. Expected: 0 < sf < 1, got: -Inf');
    expect(validateSmoothingFactors(NaN, NaN)).toBeNull();
  });
  it('matches the functions.test expectation', () => {
    // holt_winters-era data: 0+10x10 at 5m, sf 0.01 tf 0.1 → 5 decimals in the test (positive slope).
    const r = doubleExponentialSmoothing(win('0+10x10', 5 * M, 50 * M, 50 * M), 0.01, 0.1)!;
    expect(r).toBeGreaterThan(0);
  });
});

describe('histogram_quantiles label values (labels.FormatOpenMetricsFloat)', () => {
  it('integers get .0, others Go shortest g form', () => {
    expect([0, -0, 1, -1, 2, 0.25, -0.1, 1e21, 1.5e-7, NaN, Infinity, -Infinity].map(openMetricsFloat)).toEqual([
      '0.0', '0.0', '1.0', '-1.0', '2.0', '0.25', '-0.1', '1e+21', '1.5e-07', 'NaN', '+Inf', '-Inf',
    ]);
  });
});

describe('limit_ratio sampling (labels.Hash = XXH64)', () => {
  it('xxhash64 reference vectors', () => {
    const e = new TextEncoder();
    expect(xxhash64(e.encode('')).toString(16)).toBe('ef46db3751d8e999');
    expect(xxhash64(e.encode('a')).toString(16)).toBe('d24ec4f1a98c6e5b');
    expect(xxhash64(e.encode('abc')).toString(16)).toBe('44bc2cf5ad770999');
    expect(xxhash64(e.encode('Nobody inspects the spammish repetition')).toString(16)).toBe('fbcea83c8a378bf1');
  });
  it('r and -(1-r) split the series into complements', () => {
    for (const off of [0, 0.2, 0.5, 0.79, 0.8, 0.999]) {
      for (const r of [0.2, 0.5, 0.8]) expect(ratioIncludes(r, off) !== ratioIncludes(-(1 - r), off)).toBe(true);
      expect(ratioIncludes(1, off) && ratioIncludes(-1, off)).toBe(true);
    }
  });
});

describe('info() selection', () => {
  const sel = (q: string) => {
    const e = parseExpr(q, { enableExperimentalFunctions: true });
    if (e.kind !== 'Call') throw new Error(e.kind);
    const s = infoSelect(e);
    return { fetch: s.node.matchers.map((m) => `${m.name}${m.type}${m.value}`), ignore: s.ignoreMatchers.length, data: [...s.dataMatchers.keys()] };
  };
  it('defaults to target_info and adds .+_info to negative-only name matchers', () => {
    expect(sel('info(m)')).toEqual({ fetch: ['__name__=target_info'], ignore: 1, data: [] });
    expect(sel('info(m, {data=~".+"})')).toEqual({ fetch: ['__name__=target_info', 'data=~.+'], ignore: 0, data: ['data'] });
    expect(sel('info(m, {__name__!~".+_info", data=~".+"})').fetch).toEqual(['__name__!~.+_info', '__name__=~.+_info', 'data=~.+']);
    expect(sel('info(m, {__name__="build_info"})')).toEqual({ fetch: ['__name__=build_info'], ignore: 1, data: [] });
  });
});
