import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { encodeXorChunk } from '../../src/chunkenc/xor.js';
import { LabelMatcher } from '../../src/model/matcher.js';
import { crc32c } from '../../src/wire/crc32c.js';
import { encodeFrame, FrameDecoder, FrameError } from '../../src/wire/framing.js';
import { encodeReadRequest, ResponseType, SeriesCollector } from '../../src/store/prometheus/messages.js';
import { ProtoReader, ProtoWriter } from '../../src/wire/protowire.js';

const root = protobuf.loadSync(['proto/prometheus/remote.proto']);
const ReadRequest = root.lookupType('prometheus.ReadRequest');
const ChunkedReadResponse = root.lookupType('prometheus.ChunkedReadResponse');
const ReadResponse = root.lookupType('prometheus.ReadResponse');

const enc = new TextEncoder();

function chunkedMsg(series: { labels: Record<string, string>; chunks: { ts: number[]; vs: number[] }[] }[]): Uint8Array {
  return ChunkedReadResponse.encode(
    ChunkedReadResponse.create({
      chunkedSeries: series.map((s) => ({
        labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
        chunks: s.chunks.map((c) => ({
          minTimeMs: c.ts[0],
          maxTimeMs: c.ts[c.ts.length - 1],
          type: 1,
          data: encodeXorChunk(c.ts, c.vs),
        })),
      })),
      queryIndex: 0,
    }),
  ).finish();
}

describe('CRC-32C', () => {
  it('matches the standard check value', () => {
    expect(crc32c(enc.encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });
  it('is incremental', () => {
    const b = enc.encode('The quick brown fox jumps over the lazy dog, several times over.');
    expect(crc32c(b, 13, b.length, crc32c(b, 0, 13))).toBe(crc32c(b));
  });
});

describe('FrameDecoder', () => {
  const msgs = [enc.encode('hello'), new Uint8Array(300).map((_, i) => i), new Uint8Array(0), enc.encode('x')];
  const stream = Buffer.concat(msgs.map(encodeFrame));

  it('decodes frames split at every possible position', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      for (const step of [1, 3, 7, 1000]) {
        const d = new FrameDecoder();
        const out: Uint8Array[] = [];
        const pieces = [stream.subarray(0, cut)];
        for (let i = cut; i < stream.length; i += step) pieces.push(stream.subarray(i, i + step));
        for (const p of pieces) for (const m of d.push(p)) out.push(m.slice());
        d.end();
        expect(out.map((m) => Buffer.from(m).toString('hex'))).toEqual(msgs.map((m) => Buffer.from(m).toString('hex')));
      }
    }
  });

  it('rejects a CRC mismatch', () => {
    const bad = Buffer.from(stream);
    bad[8] ^= 0x01; // inside the first message
    const d = new FrameDecoder();
    expect(() => [...d.push(bad)]).toThrow(/CRC-32C mismatch/);
  });

  it('rejects oversize frames before buffering them', () => {
    const d = new FrameDecoder(100);
    expect(() => [...d.push(encodeFrame(new Uint8Array(101)))]).toThrow(FrameError);
    const d2 = new FrameDecoder(100);
    // Only the header arrives: still rejected.
    expect(() => [...d2.push(new Uint8Array([0x80, 0x80, 0x80, 0x01]))]).toThrow(/exceeds the limit of 100 bytes/);
  });

  it('reports truncated streams', () => {
    for (const cut of [1, 3, 6, 11, 12, 16, 100]) {
      const d = new FrameDecoder();
      [...d.push(stream.subarray(0, cut))];
      expect(() => d.end()).toThrow(/truncated stream/);
    }
    const d = new FrameDecoder();
    [...d.push(stream)];
    expect(() => d.end()).not.toThrow();
  });

  it('rejects an overlong length varint', () => {
    const d = new FrameDecoder();
    expect(() => [...d.push(new Uint8Array(12).fill(0x80))]).toThrow(/longer than 10 bytes/);
  });
});

describe('ReadRequest encoding', () => {
  it('decodes with the documented schema', () => {
    const bytes = encodeReadRequest(
      [
        {
          startMs: 1_700_000_000_000,
          endMs: 1_700_000_600_000,
          matchers: [
            new LabelMatcher('=', '__name__', 'up'),
            new LabelMatcher('!=', 'job', ''),
            new LabelMatcher('=~', 'instance', 'a|b'),
            new LabelMatcher('!~', 'env', 'dev.*'),
          ],
          hints: { stepMs: 15000, func: 'rate', startMs: 1_700_000_000_000, endMs: 1_700_000_600_000, grouping: ['job', 'le'], by: true, rangeMs: 300000 },
        },
        { startMs: -5, endMs: 0, matchers: [] },
      ],
      [ResponseType.STREAMED_XOR_CHUNKS, ResponseType.SAMPLES],
    );
    const obj = ReadRequest.toObject(ReadRequest.decode(bytes), { longs: Number, enums: String, defaults: false }) as Record<string, unknown>;
    expect(obj).toEqual({
      queries: [
        {
          startTimestampMs: 1_700_000_000_000,
          endTimestampMs: 1_700_000_600_000,
          matchers: [
            { name: '__name__', value: 'up' },
            { type: 'NEQ', name: 'job' },
            { type: 'RE', name: 'instance', value: 'a|b' },
            { type: 'NRE', name: 'env', value: 'dev.*' },
          ],
          hints: { stepMs: 15000, func: 'rate', startMs: 1_700_000_000_000, endMs: 1_700_000_600_000, grouping: ['job', 'le'], by: true, rangeMs: 300000 },
        },
        { startTimestampMs: -5 },
      ],
      acceptedResponseTypes: ['STREAMED_XOR_CHUNKS', 'SAMPLES'],
    });
  });

  it('protowire varints round-trip negative and large values', () => {
    for (const x of [0, 1, 127, 128, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, -1, -128, -(2 ** 40), -(2 ** 53) + 1]) {
      const w = new ProtoWriter();
      w.varint(x);
      expect(new ProtoReader(w.finish()).varint64()).toBe(x);
    }
  });
});

describe('SeriesCollector', () => {
  it('decodes chunked series, clips, joins series split across frames, skips far chunks', () => {
    const c = new SeriesCollector(20, 75);
    c.addChunkedResponse(
      chunkedMsg([
        { labels: { __name__: 'a', job: 'x' }, chunks: [{ ts: [0, 10], vs: [0, 1] }, { ts: [20, 30], vs: [2, 3] }] },
        { labels: { __name__: 'b', job: 'x' }, chunks: [{ ts: [10, 50], vs: [1, 5] }] },
      ]),
    );
    // Series b continues in the next frame.
    c.addChunkedResponse(chunkedMsg([{ labels: { __name__: 'b', job: 'x' }, chunks: [{ ts: [60, 70, 80], vs: [6, 7, 8] }] }]));
    c.addChunkedResponse(chunkedMsg([{ labels: { __name__: 'c', job: 'x' }, chunks: [{ ts: [100, 110], vs: [1, 2] }] }]));
    const { series, warnings } = c.finish();
    expect(warnings).toEqual([]);
    expect(series.map((s) => [s.labels.map((l) => `${l.name}=${l.value}`).join(','), Array.from(s.samples.timestamps), Array.from(s.samples.values)])).toEqual([
      ['__name__=a,job=x', [20, 30], [2, 3]],
      ['__name__=b,job=x', [50, 60, 70], [5, 6, 7]],
    ]);
    expect(c.chunks).toBe(5);
  });

  it('decodes a SAMPLES ReadResponse, keeping the staleness marker', () => {
    const msg = ReadResponse.encode(
      ReadResponse.create({
        results: [{ timeseries: [{ labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: 1000 }, { value: 2, timestamp: 2000 }, { value: 3, timestamp: 9000 }] }] }],
      }),
    ).finish();
    // Append a second series by hand with a stale NaN sample (protobufjs may canonicalise NaN).
    const sample = new Uint8Array([0x09, 2, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0x10, 0xb8, 0x17]); // value bits 7ff0000000000002, ts 3000
    const lab = new ProtoWriter();
    lab.stringField(1, '__name__');
    lab.stringField(2, 'z');
    const ts = new ProtoWriter();
    ts.bytesField(1, lab.finish());
    ts.bytesField(2, sample);
    const qr = new ProtoWriter();
    qr.bytesField(1, ts.finish());
    const rr = new ProtoWriter();
    rr.bytesField(1, qr.finish());
    const c = new SeriesCollector(0, 5000);
    c.addSampledResponse(msg);
    c.addSampledResponse(rr.finish());
    const { series } = c.finish();
    expect(series).toHaveLength(2);
    expect(Array.from(series[0]!.samples.timestamps)).toEqual([1000, 2000]);
    expect(series[0]!.samples.stale).toBeNull();
    expect(Array.from(series[1]!.samples.timestamps)).toEqual([3000]);
    expect(series[1]!.samples.stale![0]).toBe(1);
    expect(Number.isNaN(series[1]!.samples.values[0])).toBe(true);
  });

  it('merges a label set that comes back after another series, and keeps the output sorted', () => {
    const c = new SeriesCollector(0, 1000);
    c.addChunkedResponse(chunkedMsg([{ labels: { __name__: 'b' }, chunks: [{ ts: [10, 20], vs: [1, 2] }] }]));
    c.addChunkedResponse(chunkedMsg([{ labels: { __name__: 'a' }, chunks: [{ ts: [10], vs: [3] }] }]));
    // b again, overlapping: its first samples win on equal timestamps.
    c.addChunkedResponse(chunkedMsg([{ labels: { __name__: 'b' }, chunks: [{ ts: [5, 20, 30], vs: [7, 8, 9] }] }]));
    const { series } = c.finish();
    expect(series.map((s) => [s.labels[0]!.value, Array.from(s.samples.timestamps), Array.from(s.samples.values)])).toEqual([
      ['a', [10], [3]],
      ['b', [5, 10, 20, 30], [7, 1, 2, 9]],
    ]);
  });

  it('joins a long series split across many frames (arena slabs grow under it)', () => {
    const c = new SeriesCollector(-Infinity, Infinity);
    const want: number[] = [];
    for (let f = 0; f < 60; f++) {
      const ts = Array.from({ length: 120 }, (_, i) => (f * 120 + i) * 1000);
      want.push(...ts);
      c.addChunkedResponse(chunkedMsg([{ labels: { __name__: 'long', job: 'j' }, chunks: [{ ts, vs: ts.map((t) => t / 7) }] }]));
    }
    const { series } = c.finish();
    expect(series).toHaveLength(1);
    expect(Array.from(series[0]!.samples.timestamps)).toEqual(want);
    expect(Array.from(series[0]!.samples.values)).toEqual(want.map((t) => t / 7));
  });

  it('decodes labels exactly, sharing repeated Label objects between series', () => {
    const long = 'v'.repeat(100);
    const c = new SeriesCollector(0, 1000);
    c.addChunkedResponse(
      chunkedMsg(
        [0, 1, 2].map((i) => ({
          labels: { __name__: 'm', city: 'Zürich', instance: `host-${i}`, job: 'j', long, 'é': '日本' },
          chunks: [{ ts: [10], vs: [i] }],
        })),
      ),
    );
    const { series } = c.finish();
    expect(series.map((s) => Object.fromEntries(s.labels.map((l) => [l.name, l.value])))).toEqual(
      [0, 1, 2].map((i) => ({ __name__: 'm', city: 'Zürich', instance: `host-${i}`, job: 'j', long, 'é': '日本' })),
    );
    const [a, b] = series;
    expect(a!.labels[0]).toBe(b!.labels[0]); // __name__="m": one object
    expect(a!.labels[2]!.value).not.toBe(b!.labels[2]!.value);
  });

  it('throws clear errors on malformed messages', () => {
    const good = chunkedMsg([{ labels: { __name__: 'a' }, chunks: [{ ts: [0, 10], vs: [0, 1] }] }]);
    expect(() => new SeriesCollector(0, 100).addChunkedResponse(good.subarray(0, good.length - 3))).toThrow(/past the end|unexpected end|truncated/);
    const hist = ChunkedReadResponse.encode(
      ChunkedReadResponse.create({ chunkedSeries: [{ labels: [{ name: '__name__', value: 'h' }], chunks: [{ type: 2, data: new Uint8Array(4) }] }] }),
    ).finish();
    const c = new SeriesCollector(0, 100);
    c.addChunkedResponse(hist);
    expect(c.finish().warnings[0]).toMatch(/native histogram/);
    const unknown = ChunkedReadResponse.encode(ChunkedReadResponse.create({ chunkedSeries: [{ chunks: [{ type: 9, data: new Uint8Array(4) }] }] })).finish();
    expect(() => new SeriesCollector(0, 100).addChunkedResponse(unknown)).toThrow(/unsupported chunk encoding 9/);
  });
});
