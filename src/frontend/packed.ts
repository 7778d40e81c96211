/**
 * Range answers packed into three transferable arrays (every run's bytes, times and text ends) and
 * a small description, so a worker thread can decode a large downstream answer and hand it to the
 * event loop without copying: the runs become views into the transferred arrays. Pure: no I/O.
 */
import { runStart, runText, type EncodedSeries, type PointRun, type RangeAnswer } from './range.js';

/** A run's place in the packed arrays: bytes [textStart, textEnd), points [from, to). */
type RunPlace = readonly [textStart: number, textEnd: number, from: number, to: number];

export interface PackedAnswer {
  readonly resultType: string;
  readonly warnings: readonly string[];
  readonly infos: readonly string[];
  readonly series: readonly { labels: Record<string, string>; metric: string; values: readonly RunPlace[]; histograms: readonly RunPlace[] }[];
  readonly text: Uint8Array;
  readonly ts: Float64Array;
  /** Each point's text end, relative to its run's first byte. */
  readonly ends: Uint32Array;
}

export function packAnswer(a: RangeAnswer): PackedAnswer {
  let bytes = 0;
  let points = 0;
  for (const s of a.series) {
    for (const r of [...s.values, ...s.histograms]) {
      bytes += r.ends[r.to - 1]! - runStart(r, r.from);
      points += r.to - r.from;
    }
  }
  // Its own memory (never Node's shared pool slab), so it can be transferred.
  const text = new Uint8Array(new ArrayBuffer(bytes));
  const ts = new Float64Array(points);
  const ends = new Uint32Array(points);
  let byte = 0;
  let point = 0;
  const place = (runs: readonly PointRun[]): RunPlace[] =>
    runs.map((r) => {
      const start = runStart(r, r.from);
      const t = runText(r);
      text.set(t, byte);
      const from = point;
      for (let j = r.from; j < r.to; j++, point++) {
        ts[point] = r.ts[j]!;
        ends[point] = r.ends[j]! - start;
      }
      const p: RunPlace = [byte, byte + t.length, from, point];
      byte += t.length;
      return p;
    });
  const series = a.series.map((s) => ({ labels: s.labels, metric: s.metric, values: place(s.values), histograms: place(s.histograms) }));
  return { resultType: a.resultType, warnings: a.warnings, infos: a.infos, series, text, ts, ends };
}

/** The buffers to transfer with a packed answer. */
export function packedBuffers(p: PackedAnswer): ArrayBuffer[] {
  return [p.text.buffer as ArrayBuffer, p.ts.buffer as ArrayBuffer, p.ends.buffer as ArrayBuffer];
}

export function unpackAnswer(p: PackedAnswer): RangeAnswer {
  const text = Buffer.from(p.text.buffer, p.text.byteOffset, p.text.length);
  const runs = (places: readonly RunPlace[]): PointRun[] =>
    places.map(([textStart, textEnd, from, to]) => ({ text: text.subarray(textStart, textEnd), ts: p.ts.subarray(from, to), ends: p.ends.subarray(from, to), from: 0, to: to - from }));
  const series: EncodedSeries[] = p.series.map((s) => ({ labels: s.labels, metric: s.metric, values: runs(s.values), histograms: runs(s.histograms) }));
  return { resultType: p.resultType, series, warnings: p.warnings, infos: p.infos };
}
