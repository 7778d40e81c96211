import { describe, expect, it } from 'vitest';
import { allSeries, generateHaData, HOUR_MS, MINUTE_MS } from '../support/hadata.js';
import { formatOmTimestamp, formatOmValue, renderOpenMetrics } from '../support/openmetrics.js';
import { penaltyMerge } from '../support/reference-dedup.js';
import { prometheusAvailable, startPrometheus } from '../support/prometheus.js';

const END = Date.UTC(2026, 0, 10, 12);
const data = generateHaData({ endMs: END });

describe('OpenMetrics rendering', () => {
  it('timestamps truncate back to the intended millisecond', () => {
    expect(formatOmTimestamp(1700000000123)).toBe('1700000000.123');
    expect(formatOmTimestamp(5)).toBe('0.005');
    for (let ms = 0; ms < 3_000_000; ms += 7919) {
      expect(Math.trunc(Number(formatOmTimestamp(ms)) * 1000)).toBe(ms);
    }
    // 1037.389 * 1000 truncates to 1037388: the renderer nudges it.
    expect(formatOmTimestamp(1037389)).toBe('1037.3891');
  });

  it('values round-trip and special values use OpenMetrics spelling', () => {
    expect(formatOmValue(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatOmValue(NaN)).toBe('NaN');
    expect(formatOmValue(Infinity)).toBe('+Inf');
    expect(formatOmValue(-Infinity)).toBe('-Inf');
  });

  it('groups samples per family, escapes label values, ends with # EOF', () => {
    const text = renderOpenMetrics([
      {
        name: 'x',
        type: 'counter',
        series: [{ labels: { __name__: 'x_total', p: 'a"b\\c' }, samples: [[1000, 1], [2000, 2]] }],
      },
    ]);
    expect(text).toBe('# TYPE x counter\nx_total{p="a\\"b\\\\c"} 1 1.000\nx_total{p="a\\"b\\\\c"} 2 2.000\n# EOF\n');
    expect(() => renderOpenMetrics([{ name: 'x', type: 'gauge', series: [{ labels: { __name__: 'x' }, samples: [[2, 1], [1, 1]] }] }])).toThrow(
      /not strictly increasing/,
    );
    expect(() => renderOpenMetrics([{ name: 'x', type: 'counter', series: [{ labels: { __name__: 'x' }, samples: [] }] }])).toThrow(/does not fit/);
  });
});

describe('HA data generator', () => {
  it('is deterministic for a seed and changes with it', () => {
    const again = generateHaData({ endMs: END });
    expect(again.openMetrics.a).toBe(data.openMetrics.a);
    expect(again.openMetrics.expected).toBe(data.openMetrics.expected);
    const other = generateHaData({ endMs: END, seed: 2 });
    expect(other.openMetrics.a).not.toBe(data.openMetrics.a);
  });

  it('covers 3 h on a 15 s grid at +123 ms', () => {
    expect(data.endMs - data.startMs).toBe(3 * HOUR_MS);
    expect(data.grid).toHaveLength(720);
    for (const t of data.grid) expect((t - data.startMs) % 15_000).toBe(123);
  });

  it('has outages on both replicas, never at the same time, each several minutes or a missed scrape', () => {
    for (const r of ['a', 'b'] as const) expect(data.outages.filter((o) => o.replica === r && o.toMs - o.fromMs >= 4 * MINUTE_MS).length).toBeGreaterThanOrEqual(2);
    for (const x of data.outages)
      for (const y of data.outages) if (x.replica !== y.replica) expect(x.fromMs < y.toMs && y.fromMs < x.toMs).toBe(false);
  });

  it('replicas record identical values at identical timestamps, and each has holes', () => {
    const a = allSeries(data.replica.a);
    const b = allSeries(data.replica.b);
    const truth = allSeries(data.truth);
    expect(a).toHaveLength(truth.length);
    expect(truth.length).toBeGreaterThan(90);
    truth.forEach((s, i) => {
      const exact = new Map(s.samples.map(([t, v]) => [t, v]));
      const wrong = [...a[i]!.samples, ...b[i]!.samples].filter(([t, v]) => !Object.is(exact.get(t), v));
      expect(wrong).toEqual([]);
      expect(a[i]!.samples.length).toBeLessThan(s.samples.length);
      expect(b[i]!.samples.length).toBeLessThan(s.samples.length);
    });
  });

  it('counters only decrease at the genuine resets; values include fractions and NaN', () => {
    let fractions = 0;
    let nans = 0;
    for (const fam of data.truth) {
      for (const s of fam.series) {
        for (const [, v] of s.samples) {
          if (Number.isNaN(v)) nans++;
          else if (!Number.isInteger(v)) fractions++;
        }
        if (fam.type === 'gauge') continue;
        for (let i = 1; i < s.samples.length; i++) {
          const [t, v] = s.samples[i]!;
          if (v < s.samples[i - 1]![1]) expect(data.resets.some((r) => r.instance === s.labels.instance && r.atMs === t)).toBe(true);
        }
      }
    }
    expect(fractions).toBeGreaterThan(1000);
    expect(nans).toBeGreaterThan(5);
    expect(data.resets.length).toBeGreaterThanOrEqual(2);
  });

  it('has a classic histogram with +Inf buckets equal to _count', () => {
    const hist = data.truth.find((f) => f.type === 'histogram')!;
    const inf = hist.series.filter((s) => s.labels.le === '+Inf');
    const count = hist.series.filter((s) => s.labels.__name__ === 'http_request_duration_seconds_count');
    expect(inf.length).toBe(count.length);
    inf.forEach((s, i) => expect(s.samples).toEqual(count[i]!.samples));
  });

  it('expected series are the reference merge, carry the cluster label, and never need counter adjustment', () => {
    const exp = allSeries(data.expected);
    const a = allSeries(data.replica.a);
    const b = allSeries(data.replica.b);
    const counters = new Set(allSeries(data.expected.filter((f) => f.type !== 'gauge')));
    exp.forEach((s, i) => {
      expect(s.labels.cluster).toBe('eu1');
      expect(s.labels.replica).toBeUndefined();
      expect(penaltyMerge([a[i]!.samples, b[i]!.samples])).toEqual(s.samples);
      if (counters.has(s)) expect(penaltyMerge([a[i]!.samples, b[i]!.samples], { counter: true })).toEqual(s.samples);
    });
    // Replica switches lose samples: the merge is not simply the union.
    const full = allSeries(data.truth)[0]!.samples.length;
    expect(exp[0]!.samples.length).toBeLessThan(full);
    expect(data.switches.length).toBe(4);
  });

  it('"all" holds both replicas with the replica label', () => {
    const all = allSeries(data.all);
    expect(all).toHaveLength(2 * allSeries(data.truth).length);
    expect(new Set(all.map((s) => s.labels.replica))).toEqual(new Set(['a', 'b']));
  });

  it('select starts at whole minutes and at phase 46-59 s are safe, starts just after a switch point are not', () => {
    for (let m = -10; m <= 190; m++) {
      expect(data.isSafeMint(data.at(m))).toBe(true);
      expect(data.isSafeMint(data.at(m) + 50_000)).toBe(true);
    }
    expect(data.isSafeMint(data.at(40) + 10_000)).toBe(false);
    expect(data.isSafeMint(data.at(46) + 40_000)).toBe(false);
  });
});

const avail = prometheusAvailable();
describe.skipIf(!avail)('HA data imported with promtool', () => {
  it('round-trips timestamps, values and sample counts through a real Prometheus', async () => {
    const live = generateHaData();
    const prom = await startPrometheus({ openMetrics: live.openMetrics.a });
    try {
      const q = async (query: string) => {
        const url = `${prom.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${live.endMs / 1000}`;
        const body = (await (await fetch(url)).json()) as { data?: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
        if (body.data === undefined) throw new Error(`${query}: ${JSON.stringify(body)}`);
        return body.data.result;
      };
      // Every series, every timestamp and value comes back exactly.
      const raw = await q('{__name__=~".+"}[4h]');
      const got = new Map(raw.map((r) => [JSON.stringify(Object.entries(r.metric).sort()), r.values]));
      const want = allSeries(live.replica.a);
      expect(got.size).toBe(want.length);
      for (const s of want) {
        const values = got.get(JSON.stringify(Object.entries(s.labels).sort()));
        expect(values, JSON.stringify(s.labels)).toBeDefined();
        expect(values!.map(([t, v]) => [Math.round(t * 1000), Number(v)])).toEqual(s.samples);
      }
    } finally {
      await prom.stop();
    }
  });
});
