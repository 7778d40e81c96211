/**
 * Wire compatibility of the StoreAPI messages against HAND-MADE bytes: every fixture below is built
 * from field numbers and wire types as Thanos' Go code (gogoproto, proto3) puts them on the wire,
 * with a tiny test-only tag/varint helper (not src/wire's ProtoWriter). Then:
 * (a) proto-loader's deserializers (the ones GrpcStore and the server use, from proto.ts) give the
 *     expected objects — int64 as exact decimal strings, enums as numbers;
 * (b) series-codec's readSeriesResponse decodes the series, warning and batch frames;
 * (c) encodeSeriesFrame / encodeWarningFrame write exactly the hand-made bytes.
 */
import { describe, expect, it } from 'vitest';
import { method, MAX_INT64, MIN_INT64, storeApiDefinition } from '../../src/store/grpc/proto.js';
import { encodeSeriesFrame, encodeWarningFrame, readSeriesResponse, type AggrChunkRef } from '../../src/store/grpc/series-codec.js';
import type { Labels } from '../../src/model/labels.js';

// ---------------------------------------------------------------------------------------------
// The test-only encoder: proto3 wire format by hand.

type Bytes = number[];
const VARINT = 0;
const I64 = 1;
const LEN = 2;

/** Base-128 varint of a uint64 (negative int64 as its 64-bit two's complement: 10 bytes). */
function varint(v: bigint | number): Bytes {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}
const key = (field: number, wire: number): Bytes => varint((field << 3) | wire);
/** A varint field (int64, uint64, bool, enum). */
const vf = (field: number, v: bigint | number | boolean): Bytes => [...key(field, VARINT), ...varint(typeof v === 'boolean' ? (v ? 1 : 0) : v)];
/** A length-delimited field: embedded message, bytes, packed repeated. */
const lf = (field: number, ...payload: Bytes[]): Bytes => {
  const p = payload.flat();
  return [...key(field, LEN), ...varint(p.length), ...p];
};
const utf8 = (s: string): Bytes => [...Buffer.from(s, 'utf8')];
const sf = (field: number, s: string): Bytes => lf(field, utf8(s));
const buf = (...parts: Bytes[]): Buffer => Buffer.from(parts.flat());
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const GO_MIN_INT64 = -(2n ** 63n);
const GO_MAX_INT64 = 2n ** 63n - 1n;

// thanos.Label{1 name, 2 value}
const label = (name: string, value: string): Bytes => [...(name !== '' ? sf(1, name) : []), ...(value !== '' ? sf(2, value) : [])];
// thanos.LabelMatcher{1 type (EQ=0 omitted), 2 name, 3 value}
const matcher = (type: number, name: string, value: string): Bytes => [...(type !== 0 ? vf(1, type) : []), ...sf(2, name), ...sf(3, value)];
// thanos.Chunk{1 type (XOR=0 omitted), 2 data, 3 hash}
const chunk = (type: number, data: Bytes, hash?: bigint): Bytes => [...(type !== 0 ? vf(1, type) : []), ...lf(2, data), ...(hash !== undefined ? vf(3, hash) : [])];

// Fake "chunk data": the codec carries it as opaque bytes.
const RAW_DATA = [0x00, 0x02, 0xaa, 0xbb, 0xcc];
const COUNT_DATA = [0x00, 0x01, 0x01];
const SUM_DATA = [0x00, 0x01, 0x02, 0x02];
const MIN_DATA = [0x00, 0x01, 0x03];
const MAX_DATA = [0x00, 0x01, 0x04, 0x04, 0x04];
const COUNTER_DATA = [0x00, 0x01, 0x05];
const HASH_BIG = 0xfedcba9876543210n; // > 2^63: a uint64 that would be negative as int64
const HASH_SMALL = 42n;

// ---------------------------------------------------------------------------------------------

describe('the hand-made encoder itself', () => {
  it('writes Go\'s varints for the int64 extremes and small negatives', () => {
    expect(varint(GO_MIN_INT64)).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(varint(GO_MAX_INT64)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    expect(varint(-1)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(varint(300)).toEqual([0xac, 0x02]);
    expect(key(16, LEN)).toEqual([0x82, 0x01]);
    expect(MIN_INT64).toBe(GO_MIN_INT64.toString());
    expect(MAX_INT64).toBe(GO_MAX_INT64.toString());
  });
});

describe('method paths and kinds', () => {
  it.each([
    ['thanos.Store', 'Series', '/thanos.Store/Series', true],
    ['thanos.Store', 'LabelNames', '/thanos.Store/LabelNames', false],
    ['thanos.Store', 'LabelValues', '/thanos.Store/LabelValues', false],
    ['thanos.Store', 'Info', '/thanos.Store/Info', false],
    ['thanos.info.Info', 'Info', '/thanos.info.Info/Info', false],
    ['grpc.health.v1.Health', 'Check', '/grpc.health.v1.Health/Check', false],
    ['grpc.health.v1.Health', 'Watch', '/grpc.health.v1.Health/Watch', true],
  ] as const)('%s/%s is %s', (service, name, path, streaming) => {
    const m = method(service, name);
    expect(m.path).toBe(path);
    expect(m.requestStream).toBe(false);
    expect(m.responseStream).toBe(streaming);
  });

  it('the services hold exactly Thanos\' methods', () => {
    const def = storeApiDefinition();
    expect(Object.keys(def['thanos.Store'] as object).sort()).toEqual(['Info', 'LabelNames', 'LabelValues', 'Series']);
    expect(Object.keys(def['thanos.info.Info'] as object)).toEqual(['Info']);
  });

  it('an unknown method is an error', () => {
    expect(() => method('thanos.Store', 'Nope')).toThrow(/no method thanos\.Store\/Nope/);
  });
});

// ---------------------------------------------------------------------------------------------
// thanos.SeriesRequest

const FULL_SERIES_REQUEST = buf(
  vf(1, GO_MIN_INT64),
  vf(2, GO_MAX_INT64),
  lf(3, matcher(0, '__name__', 'up')),
  lf(3, matcher(1, 'job', '')),
  lf(3, matcher(2, 'instance', '10\\..*')),
  lf(3, matcher(3, 'path', '/(a|b)')),
  vf(4, 300_000),
  lf(5, varint(1), varint(2), varint(3), varint(4), varint(5)), // packed repeated Aggr
  vf(6, true),
  vf(7, 1),
  vf(8, true),
  lf(9, sf(1, 'type.googleapis.com/thanos.SeriesRequestHints'), lf(2, [0x08, 0x01])),
  vf(10, 60_000),
  vf(11, 300_000),
  lf(
    12,
    vf(1, 15_000),
    lf(2, sf(1, 'rate')),
    lf(4, vf(1, true), sf(3, 'job'), sf(3, 'instance')),
    lf(5, vf(1, 3_600_000)),
    sf(6, 'job'),
    vf(7, true),
    sf(8, '__cf_series_hash__'),
  ),
  lf(13, vf(1, 2), vf(2, 3), vf(3, true), sf(4, 'job')),
  sf(14, 'replica'),
  sf(14, 'rule_replica'),
  vf(15, 1000),
  vf(16, 64),
);

const FULL_SERIES_REQUEST_OBJECT = {
  min_time: '-9223372036854775808',
  max_time: '9223372036854775807',
  matchers: [
    { type: 0, name: '__name__', value: 'up' },
    { type: 1, name: 'job', value: '' },
    { type: 2, name: 'instance', value: '10\\..*' },
    { type: 3, name: 'path', value: '/(a|b)' },
  ],
  max_resolution_window: '300000',
  aggregates: [1, 2, 3, 4, 5],
  partial_response_disabled: true,
  partial_response_strategy: 1,
  skip_chunks: true,
  hints: { type_url: 'type.googleapis.com/thanos.SeriesRequestHints', value: Buffer.from([0x08, 0x01]) },
  step: '60000',
  range: '300000',
  query_hints: {
    step_millis: '15000',
    func: { name: 'rate' },
    grouping: { by: true, labels: ['job', 'instance'] },
    range: { millis: '3600000' },
    projection_labels: ['job'],
    projection_include: true,
    series_hash_label_name: '__cf_series_hash__',
  },
  shard_info: { shard_index: '2', total_shards: '3', by: true, labels: ['job'] },
  without_replica_labels: ['replica', 'rule_replica'],
  limit: '1000',
  response_batch_size: '64',
};

describe('thanos.SeriesRequest', () => {
  const m = method<unknown, unknown>('thanos.Store', 'Series');

  it('decodes every field, int64 extremes as exact strings', () => {
    expect(m.requestDeserialize(FULL_SERIES_REQUEST)).toEqual(FULL_SERIES_REQUEST_OBJECT);
  });

  it('decodes negative times and unpacked aggregates (both encodings are valid proto3)', () => {
    const bytes = buf(vf(1, -1_000), vf(2, -1), lf(3, matcher(0, 'a', 'b')), vf(5, 4), vf(5, 5));
    expect(m.requestDeserialize(bytes)).toMatchObject({ min_time: '-1000', max_time: '-1', aggregates: [4, 5], matchers: [{ type: 0, name: 'a', value: 'b' }] });
  });

  it('an empty message is every default (WARN, no limit, no hints)', () => {
    expect(m.requestDeserialize(Buffer.alloc(0))).toEqual({
      min_time: '0',
      max_time: '0',
      matchers: [],
      max_resolution_window: '0',
      aggregates: [],
      partial_response_disabled: false,
      partial_response_strategy: 0,
      skip_chunks: false,
      hints: null,
      step: '0',
      range: '0',
      query_hints: null,
      shard_info: null,
      without_replica_labels: [],
      limit: '0',
      response_batch_size: '0',
    });
  });

  it('skips fields it does not know (a newer Thanos)', () => {
    const bytes = buf(vf(1, 5), vf(99, 7), lf(100, utf8('future')), [...key(101, I64), 1, 2, 3, 4, 5, 6, 7, 8], vf(2, 6));
    expect(m.requestDeserialize(bytes)).toMatchObject({ min_time: '5', max_time: '6' });
  });

  it('what the client serializes decodes back to the same request (as GrpcStore sends it)', () => {
    const sent = {
      ...FULL_SERIES_REQUEST_OBJECT,
      hints: null,
      // GrpcStore passes plain numbers and timeToInt64's strings for ±Infinity.
      min_time: MIN_INT64,
      max_time: 1_700_000_000_000,
      max_resolution_window: 300_000,
    };
    const bytes = m.requestSerialize(sent);
    expect(m.requestDeserialize(bytes)).toEqual({ ...FULL_SERIES_REQUEST_OBJECT, hints: null, max_time: '1700000000000' });
    // The extremes go out as Go writes them.
    expect(hexOf(bytes)).toContain(hexOf(Buffer.from(vf(1, GO_MIN_INT64))));
  });
});

// ---------------------------------------------------------------------------------------------
// thanos.SeriesResponse

const SERIES_LABELS: Bytes[] = [label('__name__', 'http_requests_total'), label('job', 'api'), label('replica', 'a')];

/** AggrChunk{1 min, 2 max, 3 raw, 4 count, 5 sum, 6 min, 7 max, 8 counter}. */
const RAW_AGGR_CHUNK = [...vf(1, GO_MIN_INT64), ...vf(2, GO_MAX_INT64), ...lf(3, chunk(0, RAW_DATA, HASH_BIG))];
const DOWNSAMPLED_AGGR_CHUNK = [
  ...vf(1, -3_600_000),
  ...vf(2, 1_700_000_000_000),
  ...lf(4, chunk(0, COUNT_DATA, HASH_SMALL)),
  ...lf(5, chunk(0, SUM_DATA, 1n)),
  ...lf(6, chunk(0, MIN_DATA)),
  ...lf(7, chunk(0, MAX_DATA, HASH_BIG)),
  ...lf(8, chunk(0, COUNTER_DATA, 2n)),
];
const HISTOGRAM_AGGR_CHUNK = [...vf(1, 10), ...vf(2, 20), ...lf(3, chunk(1, [0x00, 0x00]))];

const SERIES_MESSAGE = [...SERIES_LABELS.flatMap((l) => lf(1, l)), ...lf(2, RAW_AGGR_CHUNK), ...lf(2, DOWNSAMPLED_AGGR_CHUNK), ...lf(2, HISTOGRAM_AGGR_CHUNK)];
const SERIES_FRAME = buf(lf(1, SERIES_MESSAGE));
const WARNING_FRAME = buf(sf(2, 'store 10.0.0.1:10901: partial data ✓'));
const BATCH_FRAME = buf(
  lf(4, lf(1, lf(1, label('__name__', 'up')), lf(2, vf(1, 1), vf(2, 2), lf(3, chunk(0, RAW_DATA)))), lf(1, lf(1, label('__name__', 'up')), lf(1, label('job', 'x')))),
);
const HINTS_FRAME = buf(lf(3, sf(1, 'type.googleapis.com/hintspb.SeriesResponseHints'), lf(2, [0x0a, 0x00])));

const nullChunk = { count: null, sum: null, min: null, max: null, counter: null };
const pbChunk = (data: Bytes, hash: bigint | 0n = 0n, type = 0) => ({ type, data: Buffer.from(data), hash: hash.toString() });

const SERIES_OBJECT = {
  labels: [
    { name: '__name__', value: 'http_requests_total' },
    { name: 'job', value: 'api' },
    { name: 'replica', value: 'a' },
  ],
  chunks: [
    { min_time: '-9223372036854775808', max_time: '9223372036854775807', raw: pbChunk(RAW_DATA, HASH_BIG), ...nullChunk },
    {
      min_time: '-3600000',
      max_time: '1700000000000',
      raw: null,
      count: pbChunk(COUNT_DATA, HASH_SMALL),
      sum: pbChunk(SUM_DATA, 1n),
      min: pbChunk(MIN_DATA),
      max: pbChunk(MAX_DATA, HASH_BIG),
      counter: pbChunk(COUNTER_DATA, 2n),
    },
    { min_time: '10', max_time: '20', raw: pbChunk([0x00, 0x00], 0n, 1), ...nullChunk },
  ],
};

/** What readSeriesResponse reports, chunk data resolved out of the frame. */
interface Seen {
  series: { labels: Labels; chunks: Record<string, unknown>[] }[];
  warnings: string[];
}

function read(frame: Uint8Array): Seen {
  const seen: Seen = { series: [], warnings: [] };
  const part = (b: Uint8Array, c: AggrChunkRef['raw']) => (c === null ? null : { type: c.type, data: hexOf(b.subarray(c.start, c.end)) });
  readSeriesResponse(frame, {
    series: (labels, chunks, b) =>
      seen.series.push({
        labels: labels.map((l) => ({ name: l.name, value: l.value })),
        chunks: chunks.map((c) => ({
          minTime: c.minTime,
          maxTime: c.maxTime,
          raw: part(b, c.raw),
          count: part(b, c.count),
          sum: part(b, c.sum),
          min: part(b, c.min),
          max: part(b, c.max),
          counter: part(b, c.counter),
        })),
      }),
    warning: (w) => seen.warnings.push(w),
  });
  return seen;
}

const x = (d: Bytes) => ({ type: 0, data: hexOf(Buffer.from(d)) });
const noParts = { raw: null, count: null, sum: null, min: null, max: null, counter: null };

describe('thanos.SeriesResponse', () => {
  const m = method<unknown, unknown>('thanos.Store', 'Series');

  describe('(a) proto-loader', () => {
    it('series: labels, a raw chunk with a uint64 hash > 2^63, every aggregate, a histogram chunk', () => {
      expect(m.responseDeserialize(SERIES_FRAME)).toEqual({ series: SERIES_OBJECT, result: 'series' });
    });

    it('warning', () => {
      expect(m.responseDeserialize(WARNING_FRAME)).toEqual({ warning: 'store 10.0.0.1:10901: partial data ✓', result: 'warning' });
    });

    it('an empty warning is still a warning (oneof members have presence)', () => {
      expect(m.responseDeserialize(buf([0x12, 0x00]))).toEqual({ warning: '', result: 'warning' });
    });

    it('batch of two series', () => {
      expect(m.responseDeserialize(BATCH_FRAME)).toEqual({
        batch: {
          series: [
            { labels: [{ name: '__name__', value: 'up' }], chunks: [{ min_time: '1', max_time: '2', raw: pbChunk(RAW_DATA), ...nullChunk }] },
            { labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'x' }], chunks: [] },
          ],
        },
        result: 'batch',
      });
    });

    it('hints', () => {
      expect(m.responseDeserialize(HINTS_FRAME)).toEqual({
        hints: { type_url: 'type.googleapis.com/hintspb.SeriesResponseHints', value: Buffer.from([0x0a, 0x00]) },
        result: 'hints',
      });
    });
  });

  describe('(b) readSeriesResponse', () => {
    it('series: every chunk part at the right offsets, int64 extremes as the nearest doubles', () => {
      expect(read(SERIES_FRAME)).toEqual({
        series: [
          {
            labels: SERIES_OBJECT.labels,
            chunks: [
              { minTime: -(2 ** 63), maxTime: 2 ** 63, ...noParts, raw: x(RAW_DATA) },
              {
                minTime: -3_600_000,
                maxTime: 1_700_000_000_000,
                ...noParts,
                count: x(COUNT_DATA),
                sum: x(SUM_DATA),
                min: x(MIN_DATA),
                max: x(MAX_DATA),
                counter: x(COUNTER_DATA),
              },
              { minTime: 10, maxTime: 20, ...noParts, raw: { type: 1, data: '0000' } },
            ],
          },
        ],
        warnings: [],
      });
    });

    it('warning (UTF-8)', () => {
      expect(read(WARNING_FRAME)).toEqual({ series: [], warnings: ['store 10.0.0.1:10901: partial data ✓'] });
      expect(read(buf([0x12, 0x00]))).toEqual({ series: [], warnings: [''] });
    });

    it('batch: both series, in order', () => {
      expect(read(BATCH_FRAME)).toEqual({
        series: [
          { labels: [{ name: '__name__', value: 'up' }], chunks: [{ minTime: 1, maxTime: 2, ...noParts, raw: x(RAW_DATA) }] },
          { labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'x' }], chunks: [] },
        ],
        warnings: [],
      });
    });

    it('hints frames are ignored', () => {
      expect(read(HINTS_FRAME)).toEqual({ series: [], warnings: [] });
    });

    it('negative chunk times, and unknown fields in every message are skipped', () => {
      const frame = buf(
        lf(
          1,
          lf(1, label('a', 'b'), vf(9, 1)),
          vf(7, 123),
          lf(2, vf(1, -1), vf(9, 5), vf(2, -1_000_000_000_000), lf(3, chunk(0, RAW_DATA), sf(10, 'x')), [...key(20, I64), 0, 0, 0, 0, 0, 0, 0, 0]),
        ),
        vf(9, 1),
      );
      expect(read(frame)).toEqual({
        series: [{ labels: [{ name: 'a', value: 'b' }], chunks: [{ minTime: -1, maxTime: -1_000_000_000_000, ...noParts, raw: x(RAW_DATA) }] }],
        warnings: [],
      });
    });

    it('agrees with what proto-loader\'s serializer writes (type XOR written explicitly as 0)', () => {
      const bytes = m.responseSerialize({ series: SERIES_OBJECT } as never);
      expect(read(bytes)).toEqual(read(SERIES_FRAME));
    });

    it('a truncated frame throws', () => {
      expect(() => read(SERIES_FRAME.subarray(0, SERIES_FRAME.length - 3))).toThrow();
    });
  });

  describe('(c) encodeSeriesFrame / encodeWarningFrame', () => {
    it('a series frame is byte for byte what Go writes (XOR type and zero times omitted, no hash)', () => {
      const data1 = new Uint8Array(RAW_DATA);
      const data2 = new Uint8Array(MAX_DATA);
      const labels: Labels = [
        { name: '__name__', value: 'up' },
        { name: 'instance', value: '10.0.0.1:9090' },
        { name: 'replica', value: 'b' },
      ];
      const got = encodeSeriesFrame(labels, [
        { minTime: -1_000, maxTime: 0, data: data1 },
        { minTime: 1_700_000_000_000, maxTime: 2 ** 53 - 1, data: data2 },
      ]);
      const want = buf(
        lf(
          1,
          lf(1, label('__name__', 'up')),
          lf(1, label('instance', '10.0.0.1:9090')),
          lf(1, label('replica', 'b')),
          lf(2, vf(1, -1_000), lf(3, lf(2, RAW_DATA))),
          lf(2, vf(1, 1_700_000_000_000), vf(2, 2 ** 53 - 1), lf(3, lf(2, MAX_DATA))),
        ),
      );
      expect(hexOf(got)).toBe(hexOf(want));
      // And it reads back through both decoders.
      expect(read(got).series[0]!.chunks.map((c) => [c.minTime, c.maxTime])).toEqual([
        [-1_000, 0],
        [1_700_000_000_000, 2 ** 53 - 1],
      ]);
      expect(method<unknown, { series: { chunks: { min_time: string }[] } }>('thanos.Store', 'Series').responseDeserialize(Buffer.from(got)).series.chunks[0]!.min_time).toBe('-1000');
    });

    it('a series without chunks (skip_chunks) and a label with an empty value', () => {
      const got = encodeSeriesFrame([{ name: '__name__', value: 'up' }, { name: 'e', value: '' }], []);
      expect(hexOf(got)).toBe(hexOf(buf(lf(1, lf(1, label('__name__', 'up')), lf(1, label('e', '')))))); // Label{name:"e"}: value omitted
    });

    it('a warning frame, UTF-8, long (two-byte length) and empty', () => {
      expect(hexOf(encodeWarningFrame('store 10.0.0.1:10901: partial data ✓'))).toBe(hexOf(WARNING_FRAME));
      const long = 'w'.repeat(300);
      expect(hexOf(encodeWarningFrame(long))).toBe(hexOf(buf([0x12, 0xac, 0x02], utf8(long))));
      expect(hexOf(encodeWarningFrame(''))).toBe('1200');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Label names and values

describe('thanos.LabelNamesRequest / LabelNamesResponse', () => {
  const m = method<unknown, unknown>('thanos.Store', 'LabelNames');

  it('request: every field', () => {
    const bytes = buf(
      vf(1, true),
      vf(2, 1),
      vf(3, GO_MIN_INT64),
      vf(4, -5),
      lf(5, sf(1, 'type.googleapis.com/hintspb.LabelNamesRequestHints')),
      lf(6, matcher(0, '__name__', 'up')),
      lf(6, matcher(3, 'job', 'x|y')),
      sf(7, 'replica'),
      vf(8, 10),
    );
    expect(m.requestDeserialize(bytes)).toEqual({
      partial_response_disabled: true,
      partial_response_strategy: 1,
      start: '-9223372036854775808',
      end: '-5',
      hints: { type_url: 'type.googleapis.com/hintspb.LabelNamesRequestHints', value: Buffer.alloc(0) },
      matchers: [
        { type: 0, name: '__name__', value: 'up' },
        { type: 3, name: 'job', value: 'x|y' },
      ],
      without_replica_labels: ['replica'],
      limit: '10',
    });
  });

  it('response: names, warnings, hints', () => {
    const bytes = buf(sf(1, '__name__'), sf(1, 'job'), sf(2, 'store x: partial'), lf(3, sf(1, 't')));
    expect(m.responseDeserialize(bytes)).toEqual({ names: ['__name__', 'job'], warnings: ['store x: partial'], hints: { type_url: 't', value: Buffer.alloc(0) } });
    expect(m.responseDeserialize(Buffer.alloc(0))).toEqual({ names: [], warnings: [], hints: null });
  });
});

describe('thanos.LabelValuesRequest / LabelValuesResponse', () => {
  const m = method<unknown, unknown>('thanos.Store', 'LabelValues');

  it('request: every field', () => {
    const bytes = buf(
      sf(1, 'job'),
      vf(2, false),
      vf(3, 0),
      vf(4, 1_000),
      vf(5, GO_MAX_INT64),
      lf(6, sf(1, 'h')),
      lf(7, matcher(2, 'instance', '.+')),
      lf(7, matcher(1, 'env', 'dev')),
      sf(8, 'replica'),
      sf(8, 'prometheus_replica'),
      vf(9, 3),
    );
    expect(m.requestDeserialize(bytes)).toEqual({
      label: 'job',
      partial_response_disabled: false,
      partial_response_strategy: 0,
      start: '1000',
      end: '9223372036854775807',
      hints: { type_url: 'h', value: Buffer.alloc(0) },
      matchers: [
        { type: 2, name: 'instance', value: '.+' },
        { type: 1, name: 'env', value: 'dev' },
      ],
      without_replica_labels: ['replica', 'prometheus_replica'],
      limit: '3',
    });
  });

  it('response: values (UTF-8, empty string kept), warnings', () => {
    const bytes = buf(sf(1, 'api'), lf(1), sf(1, 'wörker'), sf(2, 'w1'), sf(2, 'w2'));
    expect(m.responseDeserialize(bytes)).toEqual({ values: ['api', '', 'wörker'], warnings: ['w1', 'w2'], hints: null });
  });
});

// ---------------------------------------------------------------------------------------------
// Info

describe('thanos.info.InfoResponse', () => {
  const m = method<unknown, unknown>('thanos.info.Info', 'Info');

  it('every field; StoreInfo with tsdb_infos, and the old send_sorted (field 4) skipped', () => {
    const bytes = buf(
      lf(1, lf(1, label('cluster', 'eu1')), lf(1, label('replica', 'a'))),
      lf(1, lf(1, label('cluster', 'eu1')), lf(1, label('replica', 'b'))),
      sf(2, 'sidecar'),
      lf(
        3,
        vf(1, GO_MIN_INT64),
        vf(2, GO_MAX_INT64),
        vf(3, true),
        vf(4, true), // send_sorted, reserved now: an older Thanos still sends it
        vf(5, true),
        lf(6, lf(1, lf(1, label('cluster', 'eu1'))), vf(2, -7_200_000), vf(3, 1_700_000_000_000)),
        lf(6, vf(2, 5)),
        vf(7, true),
      ),
      lf(4),
      lf(5),
      lf(6),
      lf(7, vf(1, 1_000), vf(2, 2_000)),
      lf(8),
    );
    expect(m.responseDeserialize(bytes)).toEqual({
      label_sets: [
        { labels: [{ name: 'cluster', value: 'eu1' }, { name: 'replica', value: 'a' }] },
        { labels: [{ name: 'cluster', value: 'eu1' }, { name: 'replica', value: 'b' }] },
      ],
      ComponentType: 'sidecar',
      store: {
        min_time: '-9223372036854775808',
        max_time: '9223372036854775807',
        supports_sharding: true,
        supports_without_replica_labels: true,
        tsdb_infos: [
          { labels: { labels: [{ name: 'cluster', value: 'eu1' }] }, min_time: '-7200000', max_time: '1700000000000' },
          { labels: null, min_time: '5', max_time: '0' },
        ],
        supports_projections: true,
      },
      rules: {},
      metric_metadata: {},
      targets: {},
      exemplars: { min_time: '1000', max_time: '2000' },
      query: {},
      status: null,
    });
  });

  it('an endpoint that serves no StoreAPI has store null', () => {
    expect(m.responseDeserialize(buf(sf(2, 'rule'), lf(4)))).toMatchObject({ ComponentType: 'rule', store: null, rules: {} });
  });

  it('what promdedup\'s server answers (PbInfoResponse with strings and numbers) serializes as Go expects', () => {
    const bytes = m.responseSerialize({
      label_sets: [{ labels: [{ name: 'cluster', value: 'eu1' }] }],
      ComponentType: 'query',
      store: { min_time: MIN_INT64, max_time: 1_700_000_000_000, supports_sharding: false, supports_without_replica_labels: true, tsdb_infos: [] },
    });
    const hex = hexOf(bytes);
    expect(hex).toContain(hexOf(Buffer.from(sf(2, 'query'))));
    expect(hex).toContain(hexOf(Buffer.from(vf(1, GO_MIN_INT64))));
    expect(hex).toContain(hexOf(Buffer.from(vf(5, true))));
    expect(m.responseDeserialize(bytes)).toMatchObject({ store: { min_time: MIN_INT64, max_time: '1700000000000', supports_without_replica_labels: true } });
  });
});

describe('thanos.InfoResponse (legacy thanos.Store/Info)', () => {
  const m = method<unknown, unknown>('thanos.Store', 'Info');

  it('every field', () => {
    const bytes = buf(
      lf(1, label('cluster', 'eu1')),
      vf(2, GO_MIN_INT64),
      vf(3, GO_MAX_INT64),
      vf(4, 3),
      lf(5, lf(1, label('cluster', 'eu1')), lf(1, label('replica', 'a'))),
    );
    expect(m.responseDeserialize(bytes)).toEqual({
      labels: [{ name: 'cluster', value: 'eu1' }],
      min_time: '-9223372036854775808',
      max_time: '9223372036854775807',
      storeType: 3,
      label_sets: [{ labels: [{ name: 'cluster', value: 'eu1' }, { name: 'replica', value: 'a' }] }],
    });
  });

  it('request is empty', () => {
    expect(m.requestDeserialize(Buffer.alloc(0))).toEqual({});
    expect(m.requestSerialize({}).length).toBe(0);
  });
});

describe('grpc.health.v1', () => {
  const m = method<unknown, unknown>('grpc.health.v1.Health', 'Check');
  it('HealthCheckRequest / HealthCheckResponse', () => {
    expect(m.requestDeserialize(buf(sf(1, 'thanos.Store')))).toEqual({ service: 'thanos.Store' });
    expect(m.responseDeserialize(buf(vf(1, 1)))).toEqual({ status: 1 });
    expect(hexOf(m.responseSerialize({ status: 1 }))).toBe('0801');
  });
});
