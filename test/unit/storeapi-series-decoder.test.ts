/**
 * The worker-side decoding of StoreAPI Series streams: frames split across pieces, runs of equal
 * label sets laid into overlap-free lanes (a series split across frames continues its lane; the
 * replicas of one series sent one after the other become lanes of their own), window clipping,
 * warnings, and the server-side encoder's chunking and batching, decoded back.
 */
import { describe, expect, it } from 'vitest';
import { SampleArena } from '../../src/chunkenc/arena.js';
import { decodeXorChunk, encodeXorChunk } from '../../src/chunkenc/xor.js';
import { labelsFromRecord, type Labels } from '../../src/model/labels.js';
import type { Series } from '../../src/model/samples.js';
import { encodeSeriesFrame, encodeWarningFrame, readSeriesResponse, type RawChunk } from '../../src/store/grpc/series-codec.js';
import { FRAME_HEADER_BYTES, SeriesStreamDecoder, writeFrameHeader, type DecodedSeriesResult } from '../../src/store/grpc/series-decoder.js';
import { inShard, LENGTH_PREFIX_BYTES, seriesAnswerFrames, xorChunks } from '../../src/store/grpc/series-encoder.js';
import { xxhash64 } from '../../src/promql/functions/xxhash64.js';

const ls = (r: Record<string, string>): Labels => labelsFromRecord(r);

function chunk(ts: number[], v = 1, times = true): RawChunk {
  return { minTime: times ? ts[0]! : 0, maxTime: times ? ts[ts.length - 1]! : 0, data: encodeXorChunk(ts, ts.map(() => v)) };
}

/** Body bytes as GrpcStore lays them out: [u32 select][u32 length][frame]. */
function body(frames: { select: number; msg: Uint8Array }[]): Uint8Array {
  const size = frames.reduce((n, f) => n + FRAME_HEADER_BYTES + f.msg.length, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const f of frames) {
    writeFrameHeader(out, at, f.select, f.msg.length);
    out.set(f.msg, at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + f.msg.length;
  }
  return out;
}

function decode(bytes: Uint8Array, windows = [{ mint: -Infinity, maxt: Infinity }], pieceBytes = 7): DecodedSeriesResult[] {
  const d = new SeriesStreamDecoder(
    windows.map((w) => ({ ...w, aggregates: [] })),
    null,
  );
  for (let i = 0; i < bytes.length; i += pieceBytes) d.push(bytes.subarray(i, i + pieceBytes));
  return d.finish();
}

function lanes(r: DecodedSeriesResult): { labels: Labels; t: number[] }[] {
  return r.encoded.map((e) => ({ labels: e.labels, t: [...e.decode(new SampleArena()).timestamps] }));
}

/** SeriesResponse{series{labels {__name__="h"}, chunks [AggrChunk{1, 2, raw: Chunk{type HISTOGRAM, data 0x00 0x01}}]}}, by hand. */
function histogramFrame(): Uint8Array {
  const label = [0x0a, 0x08, ...Buffer.from('__name__'), 0x12, 0x01, 0x68];
  const chunk = [0x08, 0x01, 0x12, 0x02, 0x00, 0x01];
  const aggr = [0x08, 0x01, 0x10, 0x02, 0x1a, chunk.length, ...chunk];
  const series = [0x0a, label.length, ...label, 0x12, aggr.length, ...aggr];
  return new Uint8Array([0x0a, series.length, ...series]);
}

describe('SeriesStreamDecoder', () => {
  const a = ls({ __name__: 'up', job: 'x' });

  it('joins a series split across frames into one lane, even when frames split across pieces', () => {
    const bytes = body([
      { select: 0, msg: encodeSeriesFrame(a, [chunk([1000, 2000])]) },
      { select: 0, msg: encodeSeriesFrame(a, [chunk([3000, 4000])]) },
    ]);
    const [r] = decode(bytes);
    expect(lanes(r!)).toEqual([{ labels: a, t: [1000, 2000, 3000, 4000] }]);
  });

  it('lays replicas sent one after the other with equal labels into lanes of their own', () => {
    const bytes = body([
      { select: 0, msg: encodeSeriesFrame(a, [chunk([1000, 2000]), chunk([3000, 4000])]) },
      { select: 0, msg: encodeSeriesFrame(a, [chunk([1500, 2500]), chunk([3500, 4500])]) },
    ]);
    const [r] = decode(bytes);
    expect(lanes(r!)).toEqual([
      { labels: a, t: [1000, 2000, 3000, 4000] },
      { labels: a, t: [1500, 2500, 3500, 4500] },
    ]);
  });

  it('keeps series out of order as they are (grouping sorts later) and routes frames to their select', () => {
    const b = ls({ __name__: 'up', job: 'a' });
    const bytes = body([
      { select: 1, msg: encodeSeriesFrame(a, [chunk([1000])]) },
      { select: 0, msg: encodeSeriesFrame(b, [chunk([5000])]) },
      { select: 1, msg: encodeSeriesFrame(b, [chunk([2000])]) },
    ]);
    const [r0, r1] = decode(bytes, [
      { mint: -Infinity, maxt: Infinity },
      { mint: -Infinity, maxt: Infinity },
    ]);
    expect(lanes(r0!)).toEqual([{ labels: b, t: [5000] }]);
    expect(lanes(r1!).map((l) => l.labels)).toEqual([a, b]);
  });

  it('clips to the window, skips chunks outside it and reads chunks sent without times', () => {
    const bytes = body([
      { select: 0, msg: encodeSeriesFrame(a, [chunk([0, 1000]), chunk([2000, 3000, 4000]), chunk([9000, 9500])]) },
      { select: 0, msg: encodeSeriesFrame(ls({ __name__: 'up', job: 'y' }), [chunk([2500, 3500], 1, false)]) },
    ]);
    const [r] = decode(bytes, [{ mint: 2500, maxt: 4000 }]);
    expect(lanes(r!).map((l) => l.t)).toEqual([[3000, 4000], [2500, 3500]]);
  });

  it('collects warning frames and refuses a stream cut inside a frame', () => {
    const bytes = body([{ select: 0, msg: encodeWarningFrame('store b: unavailable') }]);
    expect(decode(bytes)[0]!.warnings).toEqual(['store b: unavailable']);
    expect(decode(bytes)[0]!.partial).toEqual(['store b: unavailable']);
    // A skipped native-histogram chunk is a notice of ours, not a partial answer of the endpoint.
    const withHist = body([{ select: 0, msg: histogramFrame() }, { select: 0, msg: encodeSeriesFrame(a, []) }]);
    const [r] = decode(withHist);
    expect(r!.warnings).toEqual(['skipped 1 native histogram chunk(s): not supported']);
    expect(r!.partial).toEqual([]);
    const cut = body([{ select: 0, msg: encodeSeriesFrame(a, [chunk([1000])]) }]);
    expect(() => decode(cut.subarray(0, cut.length - 1))).toThrow(/ended inside a frame/);
  });
});

describe('seriesAnswerFrames (server side)', () => {
  const series = (r: Record<string, string>, n: number): Series => {
    const timestamps = Float64Array.from({ length: n }, (_, i) => 1_000_000 + i * 15_000);
    return { labels: ls(r), samples: { timestamps, values: timestamps.map((t) => t / 1000), stale: null } };
  };

  function read(frames: Uint8Array[]): { labels: Labels[]; chunks: number[][]; warnings: string[] } {
    const out = { labels: [] as Labels[], chunks: [] as number[][], warnings: [] as string[] };
    for (const f of frames) {
      expect(new DataView(f.buffer, f.byteOffset).getUint32(0, true)).toBe(f.length - LENGTH_PREFIX_BYTES);
      readSeriesResponse(f.subarray(LENGTH_PREFIX_BYTES), {
        series: (labels, chunks, buf) => {
          out.labels.push(labels);
          out.chunks.push(chunks.map((c) => decodeXorChunk(buf.subarray(c.raw!.start, c.raw!.end)).timestamps.length));
        },
        warning: (m) => out.warnings.push(m),
      });
    }
    return out;
  }

  it('cuts XOR chunks at 120 samples with their min and max times', () => {
    const cs = xorChunks(series({ __name__: 'x' }, 250));
    expect(cs.map((c) => [c.minTime, c.maxTime])).toEqual([
      [1_000_000, 1_000_000 + 119 * 15_000],
      [1_000_000 + 120 * 15_000, 1_000_000 + 239 * 15_000],
      [1_000_000 + 240 * 15_000, 1_000_000 + 249 * 15_000],
    ]);
  });

  it('sends warnings first, removes without_replica_labels keeping replicas adjacent in order, applies the limit', () => {
    const input = [
      series({ __name__: 'x', job: 'a', replica: 'r1' }, 3),
      series({ __name__: 'x', job: 'a', replica: 'r2' }, 3),
      series({ __name__: 'x', job: 'b', replica: 'r1' }, 3),
    ];
    const got = read([...seriesAnswerFrames(input, ['w1'], { withoutReplicaLabels: ['replica'], limit: 0, skipChunks: false })]);
    expect(got.warnings).toEqual(['w1']);
    expect(got.labels).toEqual([ls({ __name__: 'x', job: 'a' }), ls({ __name__: 'x', job: 'a' }), ls({ __name__: 'x', job: 'b' })]);
    const limited = read([...seriesAnswerFrames(input, [], { withoutReplicaLabels: [], limit: 2, skipChunks: true })]);
    expect(limited.labels).toHaveLength(2);
    expect(limited.chunks).toEqual([[], []]);
  });

  it('passes an endpoint\'s chunks on unchanged when inside the window and at most 120 samples; cuts the others anew', () => {
    const ts = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i * 1000);
    const inside = chunk(ts(10_000, 100));
    const crossing = chunk(ts(110_000, 50)); // 110 s .. 159 s, the window ends at 140 s
    const bytes = body([{ select: 0, msg: encodeSeriesFrame(ls({ __name__: 'x' }), [inside, crossing]) }]);
    const [r] = decode(bytes, [{ mint: 0, maxt: 140_000 }]);
    const out = xorChunks({ labels: r!.encoded[0]!.labels, encoded: r!.encoded[0]! });
    expect(out[0]!.data).toEqual(inside.data);
    expect(out.slice(1).map((c) => [c.minTime, c.maxTime, decodeXorChunk(c.data).timestamps.length])).toEqual([[110_000, 140_000, 31]]);
    const big = chunk(ts(0, 300));
    const [r2] = decode(body([{ select: 0, msg: encodeSeriesFrame(ls({ __name__: 'x' }), [big]) }]));
    expect(xorChunks({ labels: r2!.encoded[0]!.labels, encoded: r2!.encoded[0]! }).map((c) => decodeXorChunk(c.data).timestamps.length)).toEqual([120, 120, 60]);
  });

  it('shard_info: each series in exactly one shard, by Thanos\' hash of the labels as sent (replicas together)', () => {
    const input = Array.from({ length: 60 }, (_, i) => [
      series({ __name__: 'x', i: String(i), replica: 'a' }, 2),
      series({ __name__: 'x', i: String(i), replica: 'b' }, 2),
    ]).flat();
    const total = 3;
    const seen = new Map<string, number[]>();
    for (let index = 0; index < total; index++) {
      for (const by of [true, false]) {
        const shard = { index, total, by, labels: by ? ['i'] : ['replica'] };
        const got = read([...seriesAnswerFrames(input, [], { withoutReplicaLabels: ['replica'], limit: 0, skipChunks: false, shard })]);
        for (let k = 0; k < got.labels.length; k += 2) expect(got.labels[k]).toEqual(got.labels[k + 1]); // both replicas
        for (const l of got.labels) {
          const key = `${by}|${l.find((x) => x.name === 'i')!.value}`;
          seen.set(key, [...(seen.get(key) ?? []), index]);
        }
      }
    }
    for (const [, shards] of seen) expect(new Set(shards).size).toBe(1);
    expect(seen.size).toBe(120);
    // The bytes hashed: name 0xff value 0xff of the chosen labels, as Thanos' ShardMatcher.
    const labels = ls({ __name__: 'x', job: 'a' });
    const hash = xxhash64(new Uint8Array([0x6a, 0x6f, 0x62, 0xff, 0x61, 0xff]));
    expect(inShard(labels, { index: Number(hash % 7n), total: 7, by: true, labels: ['job'] })).toBe(true);
    expect(inShard(labels, { index: Number((hash + 1n) % 7n), total: 7, by: true, labels: ['job'] })).toBe(false);
  });

  it('batches series into SeriesBatch frames when asked (response_batch_size)', () => {
    const input = [1, 2, 3, 4, 5].map((i) => series({ __name__: 'x', i: String(i) }, 2));
    const frames = [...seriesAnswerFrames(input, [], { withoutReplicaLabels: [], limit: 0, skipChunks: false, batchSize: 2 })];
    expect(frames).toHaveLength(3);
    expect(read(frames).labels.map((l) => l[1]!.value)).toEqual(['1', '2', '3', '4', '5']);
  });
});
