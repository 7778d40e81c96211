import { describe, expect, it } from 'vitest';
import { encodeXorChunk } from '../../src/chunkenc/xor.js';
import {
  Aggr,
  DownsampleError,
  aggregatesForFunc,
  decodeAggrChunks,
  lookbackDeltaFor,
  maxResolutionForSelect,
  parseMaxSourceResolution,
  parseMaxSourceResolutionWithDefault,
  type AggrChunkData,
  type AggrValue,
} from '../../src/store/grpc/downsample.js';

type Pts = ReadonlyArray<readonly [number, number]>;
const STALE = 'stale';
type PtsWithStale = ReadonlyArray<readonly [number, number | typeof STALE]>;

function xor(pts: PtsWithStale): Uint8Array {
  return encodeXorChunk(
    pts.map((p) => p[0]),
    pts.map((p) => (p[1] === STALE ? NaN : p[1])),
    pts.map((p) => (p[1] === STALE ? 1 : 0)),
  );
}

interface ChunkSpec {
  raw?: PtsWithStale;
  count?: Pts;
  sum?: Pts;
  min?: Pts;
  max?: Pts;
  counter?: PtsWithStale;
}

function chunk(spec: ChunkSpec): AggrChunkData {
  const all = [spec.raw, spec.count, spec.sum, spec.min, spec.max, spec.counter].flatMap((p) => p ?? []);
  const ts = all.map((p) => p[0]);
  const enc = (p: PtsWithStale | undefined): Uint8Array | null => (p ? xor(p) : null);
  return {
    minTime: Math.min(...ts),
    maxTime: Math.max(...ts),
    raw: enc(spec.raw),
    count: enc(spec.count),
    sum: enc(spec.sum),
    min: enc(spec.min),
    max: enc(spec.max),
    counter: enc(spec.counter),
  };
}

function decode(chunks: AggrChunkData[], aggrs: readonly AggrValue[], mint = -Infinity, maxt = Infinity): number[][] {
  const s = decodeAggrChunks(chunks, aggrs, mint, maxt);
  return Array.from(s.timestamps, (t, i) => [t, s.values[i]!]);
}

const AVG = [Aggr.COUNT, Aggr.SUM] as const;

describe('aggregatesForFunc (Thanos aggrsFromFunc)', () => {
  const table: Array<[string, AggrValue[]]> = [
    ['min', [Aggr.MIN]],
    ['min_over_time', [Aggr.MIN]],
    ['max', [Aggr.MAX]],
    ['max_over_time', [Aggr.MAX]],
    ['count', [Aggr.COUNT]],
    ['count_over_time', [Aggr.COUNT]],
    ['count_values', [Aggr.COUNT]],
    ['sum', [Aggr.COUNT, Aggr.SUM]], // plain sum wants the actual samples
    ['sum_over_time', [Aggr.SUM]],
    ['rate', [Aggr.COUNTER]],
    ['irate', [Aggr.COUNTER]],
    ['increase', [Aggr.COUNTER]],
    ['resets', [Aggr.COUNTER]],
    ['xrate', [Aggr.COUNTER]],
    ['xincrease', [Aggr.COUNTER]],
    ['quantile_over_time', [Aggr.COUNT, Aggr.SUM]],
    ['avg_over_time', [Aggr.COUNT, Aggr.SUM]],
    ['delta', [Aggr.COUNT, Aggr.SUM]],
    ['minute', [Aggr.COUNT, Aggr.SUM]], // "min" is a prefix, but not "min_"
    ['', [Aggr.COUNT, Aggr.SUM]],
  ];
  it.each(table)('%j → %j', (func, expected) => {
    expect(aggregatesForFunc(func)).toEqual(expected);
  });
});

describe('maxResolutionForSelect (Thanos maxResolutionFromSelectHints)', () => {
  const twoMin = 2 * 60 * 1000;
  const res5m = 5 * 60 * 1000;
  it('keeps the resolution without a range or without a two-sample function', () => {
    expect(maxResolutionForSelect(res5m, 'rate', 0)).toBe(res5m);
    expect(maxResolutionForSelect(res5m, '', twoMin)).toBe(res5m);
    expect(maxResolutionForSelect(res5m, 'max_over_time', twoMin)).toBe(res5m);
    expect(maxResolutionForSelect(res5m, 'resets', twoMin)).toBe(res5m);
    expect(maxResolutionForSelect(res5m, 'xrate', twoMin)).toBe(res5m);
  });
  it.each(['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'predict_linear', 'holt_winters', 'double_exponential_smoothing'])(
    'caps %s at range/2',
    (func) => {
      expect(maxResolutionForSelect(res5m, func, twoMin)).toBe(60_000);
    },
  );
  it('takes the smaller of the two and truncates range/2', () => {
    expect(maxResolutionForSelect(res5m, 'rate', 3_600_000)).toBe(res5m);
    expect(maxResolutionForSelect(0, 'rate', twoMin)).toBe(0);
    expect(maxResolutionForSelect(res5m, 'rate', 120_001)).toBe(60_000);
  });
});

describe('parseMaxSourceResolution (Thanos parseDownsamplingParamMillis)', () => {
  const hour = 3_600_000;
  it('ports TestParseDownsamplingParamMillis', () => {
    expect(parseMaxSourceResolution('0s', false, hour)).toBe(0);
    expect(parseMaxSourceResolution('5m', false, hour)).toBe(300_000);
    expect(parseMaxSourceResolution('1h', false, hour)).toBe(3_600_000);
    expect(parseMaxSourceResolution('', true, hour)).toBe(720_000); // step/5
    expect(parseMaxSourceResolution('', true, hour)).not.toBe(600_000); // not step/6
    expect(parseMaxSourceResolution('1m', true, hour)).toBe(60_000); // the parameter wins
  });
  it('auto is step/5 (truncated), absent or empty is raw without auto-downsampling', () => {
    expect(parseMaxSourceResolution('auto', false, 60_000)).toBe(12_000);
    expect(parseMaxSourceResolution('auto', false, 14)).toBe(2);
    expect(parseMaxSourceResolution(undefined, false, hour)).toBe(0);
    expect(parseMaxSourceResolution('', false, hour)).toBe(0);
    expect(parseMaxSourceResolution(undefined, true, 60_000)).toBe(12_000);
    expect(parseMaxSourceResolution('0s', true, hour)).toBe(0);
  });
  it('accepts float seconds and Prometheus durations', () => {
    expect(parseMaxSourceResolution('300', false, hour)).toBe(300_000);
    expect(parseMaxSourceResolution('0.0015', false, hour)).toBe(1);
    expect(parseMaxSourceResolution('1h30m', false, hour)).toBe(5_400_000);
    expect(parseMaxSourceResolution('0', false, hour)).toBe(0);
    expect(parseMaxSourceResolution('-0', false, hour)).toBe(0);
    expect(parseMaxSourceResolution('1e3', false, hour)).toBe(1_000_000);
  });
  it('instant queries pass their own default instead of step/5', () => {
    expect(parseMaxSourceResolutionWithDefault('auto', false, 3_600_000)).toBe(3_600_000);
    expect(parseMaxSourceResolutionWithDefault(undefined, true, 0)).toBe(0);
  });
  it('rejects garbage with Thanos messages', () => {
    expect(() => parseMaxSourceResolution('garbage', false, hour)).toThrow(
      `'max_source_resolution' parameter: cannot parse "garbage" to a valid duration`,
    );
    // Thanos has no "raw" keyword.
    expect(() => parseMaxSourceResolution('raw', false, hour)).toThrow(`cannot parse "raw" to a valid duration`);
    expect(() => parseMaxSourceResolution('5m1h', false, hour)).toThrow(`cannot parse "5m1h"`);
    expect(() => parseMaxSourceResolution('inf', false, hour)).toThrow(
      `'max_source_resolution' parameter: cannot parse "inf" to a valid duration. It overflows int64`,
    );
    expect(() => parseMaxSourceResolution('1e400', false, hour)).toThrow(/cannot parse "1e400" to a valid duration$/);
    expect(() => parseMaxSourceResolution('NaN', false, hour)).toThrow(`negative 'max_source_resolution'`);
    expect(() => parseMaxSourceResolution('-5', false, hour)).toThrow(
      `negative 'max_source_resolution' is not accepted. Try a positive integer`,
    );
    try {
      parseMaxSourceResolution('garbage', false, hour);
    } catch (err) {
      expect((err as { kind?: string }).kind).toBe('bad_data');
    }
  });
});

describe('lookbackDeltaFor (Thanos LookbackDeltaFactory), ported from TestLookbackDeltaFactory', () => {
  const minute = 60_000;
  const hour = 60 * minute;
  const table: Array<[number, Array<[number, number]>]> = [
    [3 * minute, [[2 * minute, 3 * minute], [3 * minute, 3 * minute], [4 * minute, 5 * minute], [5 * minute, 5 * minute], [6 * minute, hour], [hour, hour], [2 * hour, hour]]],
    [5 * minute, [[0, 5 * minute], [5 * minute, 5 * minute], [6 * minute, hour], [59 * minute, hour], [hour, hour], [2 * hour, hour]]],
    [30 * minute, [[0, 30 * minute], [5 * minute, 30 * minute], [30 * minute, 30 * minute], [31 * minute, hour], [59 * minute, hour], [hour, hour], [2 * hour, hour]]],
    [hour, [[0, hour], [5 * minute, hour], [hour, hour], [2 * hour, hour]]],
    // Unset base (0, the engine default): raw keeps the default, downsampled data gets 5m / 1h.
    [0, [[0, 0], [1, 5 * minute], [5 * minute, 5 * minute], [5 * minute + 1, hour]]],
  ];
  it.each(table)('base %d', (base, cases) => {
    for (const [res, expected] of cases) expect(lookbackDeltaFor(base, res), `resolution ${res}`).toBe(expected);
  });
  it('without dynamic lookback delta the base stays', () => {
    expect(lookbackDeltaFor(0, 0, false)).toBe(0);
    expect(lookbackDeltaFor(0, hour, false)).toBe(0);
    expect(lookbackDeltaFor(3 * minute, hour, false)).toBe(3 * minute);
  });
});

// Thanos pkg/compact/downsample/downsample_test.go realisticChkDataWithCounterResetRes5m: a counter
// downsampled to 5m, with a stale marker and a reset (496544 → 75) in the 1587692699999 window.
const REAL_5M = {
  count: [[1587690299999, 20], [1587690599999, 20], [1587690899999, 20], [1587691199999, 20], [1587691499999, 20], [1587691799999, 20], [1587692099999, 20], [1587692399999, 20], [1587692699999, 16], [1587692999999, 20], [1587693299999, 20], [1587693590791, 20]],
  sum: [[1587690299999, 9.276972e6], [1587690599999, 9.359861e6], [1587690899999, 9.447457e6], [1587691199999, 9.542732e6], [1587691499999, 9.630379e6], [1587691799999, 9.715631e6], [1587692099999, 9.799808e6], [1587692399999, 9.888117e6], [1587692699999, 2.98928e6], [1587692999999, 81592], [1587693299999, 163711], [1587693590791, 255746]],
  min: [[1587690299999, 461968], [1587690599999, 466070], [1587690899999, 470131], [1587691199999, 474913], [1587691499999, 479625], [1587691799999, 483709], [1587692099999, 488036], [1587692399999, 492223], [1587692699999, 75], [1587692999999, 2261], [1587693299999, 6210], [1587693590791, 10464]],
  max: [[1587690299999, 465870], [1587690599999, 469951], [1587690899999, 474726], [1587691199999, 479368], [1587691499999, 483566], [1587691799999, 487787], [1587692099999, 492065], [1587692399999, 496245], [1587692699999, 496544], [1587692999999, 6010], [1587693299999, 10242], [1587693590791, 14956]],
  // First raw sample, the counter per window, then the last raw value at the repeated last timestamp.
  counter: [[1587690005791, 461968], [1587690299999, 465870], [1587690599999, 469951], [1587690899999, 474726], [1587691199999, 479368], [1587691499999, 483566], [1587691799999, 487787], [1587692099999, 492065], [1587692399999, 496245], [1587692699999, 498647], [1587692999999, 502554], [1587693299999, 506786], [1587693590791, 511500], [1587693590791, 14956]],
} satisfies Record<string, Pts>;

describe('decodeAggrChunks: a 5m downsampled counter with a reset', () => {
  const chunks = [chunk(REAL_5M)];

  it('average (no function, sum, avg_over_time…) is sum/count sample by sample', () => {
    expect(decode(chunks, AVG)).toEqual([
      [1587690299999, 463848.6], // 9276972 / 20
      [1587690599999, 467993.05], // 9359861 / 20
      [1587690899999, 472372.85],
      [1587691199999, 477136.6],
      [1587691499999, 481518.95],
      [1587691799999, 485781.55],
      [1587692099999, 489990.4],
      [1587692399999, 494405.85],
      [1587692699999, 186830], // 2989280 / 16: the stale marker left 16 samples in this window
      [1587692999999, 4079.6],
      [1587693299999, 8185.55],
      [1587693590791, 12787.3],
    ]);
    // The aggregate order in the request does not matter.
    expect(decode(chunks, [Aggr.SUM, Aggr.COUNT])).toEqual(decode(chunks, AVG));
  });

  it('min, max, count and sum read their chunk as it is', () => {
    expect(decode(chunks, [Aggr.MIN])).toEqual(REAL_5M.min);
    expect(decode(chunks, [Aggr.MAX])).toEqual(REAL_5M.max);
    expect(decode(chunks, [Aggr.COUNT])).toEqual(REAL_5M.count);
    expect(decode(chunks, [Aggr.SUM])).toEqual(REAL_5M.sum);
  });

  it('counter: the repeated last timestamp is not emitted (Thanos TestApplyCounterResetsIterator)', () => {
    expect(decode(chunks, [Aggr.COUNTER])).toEqual([
      [1587690005791, 461968], [1587690299999, 465870], [1587690599999, 469951], [1587690899999, 474726], [1587691199999, 479368],
      [1587691499999, 483566], [1587691799999, 487787], [1587692099999, 492065], [1587692399999, 496245], [1587692699999, 498647],
      [1587692999999, 502554], [1587693299999, 506786], [1587693590791, 511500],
    ]);
  });

  it('counter: the last raw value (14956) decides whether the next chunk starts with a reset', () => {
    // Next 5m chunk, raw counter continuing from 14956 up to 15500: no reset, +44 then +500.
    const cont = chunk({ counter: [[1587693605791, 15000], [1587693899999, 15500], [1587693899999, 15500]] });
    expect(decode([...chunks, cont], [Aggr.COUNTER]).slice(-3)).toEqual([
      [1587693590791, 511500],
      [1587693605791, 511544], // 511500 + (15000 - 14956)
      [1587693899999, 512044], // + (15500 - 15000)
    ]);
    // The raw counter restarted below 14956: a reset, the new value is added whole.
    const reset = chunk({ counter: [[1587693605791, 100], [1587693899999, 400], [1587693899999, 400]] });
    expect(decode([...chunks, reset], [Aggr.COUNTER]).slice(-2)).toEqual([
      [1587693605791, 511600], // 511500 + 100
      [1587693899999, 511900], // + 300
    ]);
  });

  it('clips to [mint, maxt] inclusive, after the counter processing', () => {
    expect(decode(chunks, [Aggr.COUNTER], 1587692699999, 1587692999999)).toEqual([
      [1587692699999, 498647],
      [1587692999999, 502554],
    ]);
    expect(decode(chunks, AVG, 1587692400000, 1587692999998)).toEqual([[1587692699999, 186830]]);
    expect(decode(chunks, [Aggr.MAX], 1587693590792, Infinity)).toEqual([]);
  });
});

describe('decodeAggrChunks: counter resets (ported from Thanos downsample_test.go)', () => {
  it('TestApplyCounterResetsIterator "series with stale marker"', () => {
    const chunks = [
      chunk({ counter: [[100, 10], [200, 20], [300, 10], [400, 20], [400, 5]] }),
      chunk({ counter: [[500, 10], [600, 20], [700, 30], [800, 40], [800, 10]] }), // no reset, just the added last sample
      chunk({ counter: [[900, 5], [1000, 10], [1100, 15]] }), // actual reset
      chunk({ counter: [[1200, 20], [1250, STALE], [1300, 40]] }), // no special last sample, no reset
      chunk({ counter: [[1400, 30], [1500, 30], [1600, 50]] }), // no special last sample, reset
    ];
    const expected = [
      [100, 10], [200, 20], [300, 30], [400, 40], [500, 45], [600, 55], [700, 65], [800, 75], [900, 80], [1000, 85],
      [1100, 90], [1200, 95], [1300, 115], [1400, 145], [1500, 145], [1600, 165],
    ];
    expect(decode(chunks, [Aggr.COUNTER])).toEqual(expected);
    // The total counts from the first chunk even when the window starts later.
    expect(decode(chunks, [Aggr.COUNTER], 450, 1100)).toEqual(expected.filter(([t]) => t! >= 450 && t! <= 1100));
    expect(decode(chunks, [Aggr.COUNTER], 500, 1100)[0]).toEqual([500, 45]);
  });

  it('TestDownsampleCounterBoundaryReset: resets at chunk boundaries, raw and aggregated', () => {
    const rawAggr = [
      chunk({ counter: [[10, 1], [30, 5], [30, 5]] }),
      chunk({ counter: [[50, 1], [70, 10], [70, 10]] }),
      chunk({ counter: [[120, 1], [140, 20], [140, 20]] }),
      chunk({ counter: [[160, 21], [180, 40], [180, 40]] }),
    ];
    expect(decode(rawAggr, [Aggr.COUNTER])).toEqual([[10, 1], [30, 5], [50, 6], [70, 15], [120, 16], [140, 35], [160, 36], [180, 55]]);
    const aggrAggr = [
      chunk({ counter: [[10, 1], [70, 15], [70, 10]] }),
      chunk({ counter: [[120, 1], [180, 40], [180, 40]] }),
    ];
    expect(decode(aggrAggr, [Aggr.COUNTER])).toEqual([[10, 1], [70, 15], [120, 16], [180, 55]]);
  });

  it('overlapping chunks: samples back in time are skipped, a repeated timestamp only sets the last value', () => {
    const chunks = [
      chunk({ counter: [[100, 10], [200, 20], [300, 30]] }),
      chunk({ counter: [[200, 20], [300, 5], [400, 15]] }), // 300:5 sets last = 5, so 400:15 adds 10
    ];
    expect(decode(chunks, [Aggr.COUNTER])).toEqual([[100, 10], [200, 20], [300, 30], [400, 40]]);
  });

  it('raw chunks under COUNTER go through the counter-resets iterator too (NaN dropped, resets hidden)', () => {
    const chunks = [chunk({ raw: [[10, 10], [20, 20], [30, STALE], [40, 5], [50, 8]] })];
    expect(decode(chunks, [Aggr.COUNTER])).toEqual([[10, 10], [20, 20], [40, 25], [50, 28]]);
  });

  it('a raw chunk followed by downsampled ones continues the same total', () => {
    const chunks = [
      chunk({ raw: [[10, 100], [20, 110]] }),
      chunk({ counter: [[30, 5], [90, 25], [90, 25]] }), // restarted at 5: a reset
    ];
    expect(decode(chunks, [Aggr.COUNTER])).toEqual([[10, 100], [20, 110], [30, 115], [90, 135]]);
  });

  it('chunks with neither counter nor raw data are skipped, as Thanos does; no chunks, no samples', () => {
    const chunks = [
      chunk({ counter: [[10, 1], [20, 2]] }),
      chunk({ min: [[30, 0]] }),
      chunk({ counter: [[40, 4]] }),
    ];
    expect(decode(chunks, [Aggr.COUNTER])).toEqual([[10, 1], [20, 2], [40, 4]]);
    expect(decode([], [Aggr.COUNTER])).toEqual([]);
  });
});

describe('decodeAggrChunks: average and chunk choice', () => {
  it('TestAverageChunkIterator', () => {
    const chunks = [
      chunk({
        sum: [[100, 30], [200, 40], [300, 5], [400, -10]],
        count: [[100, 1], [200, 5], [300, 2], [400, 10]],
      }),
    ];
    expect(decode(chunks, AVG)).toEqual([[100, 30], [200, 8], [300, 2.5], [400, -1]]);
  });

  it('the average prefers the raw chunk; a single aggregate prefers its aggregate chunk', () => {
    const both = chunk({ raw: [[10, 7], [20, 9]], count: [[20, 2]], sum: [[20, 100]], min: [[20, 1]], max: [[20, 99]] });
    expect(decode([both], AVG)).toEqual([[10, 7], [20, 9]]);
    expect(decode([both], [Aggr.MIN])).toEqual([[20, 1]]);
    expect(decode([both], [Aggr.MAX])).toEqual([[20, 99]]);
  });

  it('raw chunks stand in for a missing aggregate, mixed with downsampled chunks', () => {
    const chunks = [
      chunk({ count: [[300, 3]], sum: [[300, 30]], min: [[300, 1]] }),
      chunk({ raw: [[400, 50], [415, 60]] }),
    ];
    expect(decode(chunks, AVG)).toEqual([[300, 10], [400, 50], [415, 60]]);
    expect(decode(chunks, [Aggr.MIN])).toEqual([[300, 1], [400, 50], [415, 60]]);
  });

  it('keeps staleness markers of raw chunks outside the counter path', () => {
    const s = decodeAggrChunks([chunk({ raw: [[10, 1], [20, STALE], [30, 3]] })], AVG, -Infinity, Infinity);
    expect(Array.from(s.timestamps)).toEqual([10, 20, 30]);
    expect(Number.isNaN(s.values[1])).toBe(true);
    expect(s.stale && Array.from(s.stale)).toEqual([0, 1, 0]);
  });

  it('skips the leading overlap of the next chunk', () => {
    const chunks = [chunk({ max: [[10, 1], [20, 2], [30, 3]] }), chunk({ max: [[20, 9], [30, 9], [40, 4]] })];
    expect(decode(chunks, [Aggr.MAX])).toEqual([[10, 1], [20, 2], [30, 3], [40, 4]]);
  });
});

describe('decodeAggrChunks: errors as Thanos fails the query', () => {
  it('a chunk without the aggregate nor raw data fails once reached', () => {
    const chunks = [chunk({ min: [[10, 1]] }), chunk({ max: [[20, 2]] })];
    expect(() => decode(chunks, [Aggr.MIN])).toThrow(DownsampleError);
    expect(() => decode(chunks, [Aggr.MIN])).toThrow(/no valid chunk found/);
    expect(() => decode([chunk({ count: [[10, 1]] })], AVG)).toThrow(/no valid chunk found/);
    // Not reached: reading stopped at the first sample after maxt.
    const past = [chunk({ min: [[10, 1], [30, 3]] }), chunk({ max: [[40, 2]] })];
    expect(decode(past, [Aggr.MIN], 0, 20)).toEqual([[10, 1]]);
  });

  it('misaligned sum and count', () => {
    expect(() => decode([chunk({ count: [[10, 1], [20, 1]], sum: [[10, 5]] })], AVG)).toThrow('sum and count iterator not aligned');
    expect(() => decode([chunk({ count: [[10, 1]], sum: [[11, 5]] })], AVG)).toThrow('sum and count timestamps not aligned');
  });

  it('no chunks, or aggregates Thanos never asks for', () => {
    expect(() => decode([], AVG)).toThrow('got empty chunks');
    expect(() => decode([chunk({ raw: [[1, 1]] })], [Aggr.RAW])).toThrow('unexpected result aggregate type [RAW]');
    expect(() => decode([chunk({ raw: [[1, 1]] })], [Aggr.MIN, Aggr.MAX])).toThrow('unexpected result aggregate type [MIN MAX]');
  });
});
