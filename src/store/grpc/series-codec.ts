/**
 * thanos.SeriesResponse frames, read and written straight from and to bytes (schema in
 * proto/thanos/store/storepb/). The Series path skips proto-loader's generic objects: a frame is
 * decoded in a query worker without building an object per chunk, and the server writes frames its
 * worker encoded (docs/storeapi.md has the measurement). Pure, no I/O.
 */
import type { Label, Labels } from '../../model/labels.js';
import { readLabel } from '../prometheus/label-cache.js';
import { ProtoDecodeError, ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT } from '../../wire/protowire.js';

/** thanos.Chunk.Encoding (not prompb's numbering: XOR is 0 here). */
export const ThanosChunkEncoding = { XOR: 0, HISTOGRAM: 1, FLOAT_HISTOGRAM: 2 } as const;

/** A thanos.Chunk as offsets into the frame: data is buf[start, end). */
export interface ChunkRef {
  readonly type: number;
  readonly start: number;
  readonly end: number;
}

/** One thanos.AggrChunk of a frame; absent aggregates are null. */
export interface AggrChunkRef {
  readonly minTime: number;
  readonly maxTime: number;
  readonly raw: ChunkRef | null;
  readonly count: ChunkRef | null;
  readonly sum: ChunkRef | null;
  readonly min: ChunkRef | null;
  readonly max: ChunkRef | null;
  readonly counter: ChunkRef | null;
}

export interface SeriesFrameVisitor {
  series(labels: Labels, chunks: readonly AggrChunkRef[], buf: Uint8Array): void;
  warning(message: string): void;
}

/** Decodes one SeriesResponse: a series, a batch of series, a warning, or hints (ignored). */
export function readSeriesResponse(msg: Uint8Array, visit: SeriesFrameVisitor): void {
  const r = new ProtoReader(msg);
  while (!r.done()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) + WIRE_LEN: {
        const end = r.lenEnd();
        readSeries(r, end, visit);
        r.pos = end;
        break;
      }
      case (2 << 3) + WIRE_LEN:
        visit.warning(r.string());
        break;
      case (4 << 3) + WIRE_LEN: {
        const end = r.lenEnd();
        while (r.pos < end) {
          const t = r.tag();
          if (t === (1 << 3) + WIRE_LEN) {
            const e = r.lenEnd();
            readSeries(r, e, visit);
            r.pos = e;
          } else r.skip(t & 7);
        }
        break;
      }
      default:
        r.skip(tag & 7); // 3: hints (google.protobuf.Any), unused
    }
  }
}

function readSeries(r: ProtoReader, end: number, visit: SeriesFrameVisitor): void {
  const labels: Label[] = [];
  const chunks: AggrChunkRef[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === (1 << 3) + WIRE_LEN) labels.push(readLabel(r, r.lenEnd()));
    else if (tag === (2 << 3) + WIRE_LEN) {
      const e = r.lenEnd();
      chunks.push(readAggrChunk(r, e));
      r.pos = e;
    } else r.skip(tag & 7);
  }
  visit.series(labels, chunks, r.buf);
}

function readAggrChunk(r: ProtoReader, end: number): AggrChunkRef {
  let minTime = 0;
  let maxTime = 0;
  const parts: (ChunkRef | null)[] = [null, null, null, null, null, null];
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (tag === (1 << 3) + WIRE_VARINT) minTime = r.varint64();
    else if (tag === (2 << 3) + WIRE_VARINT) maxTime = r.varint64();
    else if (field >= 3 && field <= 8 && (tag & 7) === WIRE_LEN) {
      const e = r.lenEnd();
      parts[field - 3] = readChunk(r, e);
      r.pos = e;
    } else r.skip(tag & 7);
  }
  return { minTime, maxTime, raw: parts[0]!, count: parts[1]!, sum: parts[2]!, min: parts[3]!, max: parts[4]!, counter: parts[5]! };
}

function readChunk(r: ProtoReader, end: number): ChunkRef {
  let type = 0;
  let start = -1;
  let stop = -1;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === (1 << 3) + WIRE_VARINT) type = r.uvarint();
    else if (tag === (2 << 3) + WIRE_LEN) {
      stop = r.lenEnd();
      start = r.pos;
      r.pos = stop;
    } else r.skip(tag & 7); // 3: hash
  }
  if (start < 0) return { type, start: r.pos, end: r.pos }; // empty data (proto3 omits it)
  if (stop > end) throw new ProtoDecodeError('chunk data runs past its message');
  return { type, start, end: stop };
}

/** A raw XOR chunk to write. */
export interface RawChunk {
  readonly minTime: number;
  readonly maxTime: number;
  readonly data: Uint8Array;
}

const encoder = new TextEncoder();

/** Writes labels (sorted by name) into a reusable writer as repeated thanos.Label (field `field`). */
function writeLabels(w: ProtoWriter, field: number, labels: Labels): void {
  for (const l of labels) {
    const lw = new ProtoWriter();
    lw.stringField(1, l.name);
    lw.stringField(2, l.value);
    w.bytesField(field, lw.finish());
  }
}

/** A SeriesResponse{series} frame: labels and raw XOR chunks (no hash: 0 means "not computed"). */
export function encodeSeriesFrame(labels: Labels, chunks: readonly RawChunk[]): Uint8Array {
  const w = new ProtoWriter();
  w.bytesField(1, encodeSeries(labels, chunks));
  return w.finish();
}

/** A SeriesResponse{batch} frame of already encoded thanos.Series messages. */
export function encodeBatchFrame(series: readonly Uint8Array[]): Uint8Array {
  const bw = new ProtoWriter();
  for (const s of series) bw.bytesField(1, s);
  const w = new ProtoWriter();
  w.bytesField(4, bw.finish());
  return w.finish();
}

/** A thanos.Series message. */
export function encodeSeries(labels: Labels, chunks: readonly RawChunk[]): Uint8Array {
  const sw = new ProtoWriter();
  writeLabels(sw, 1, labels);
  for (const c of chunks) {
    const cw = new ProtoWriter();
    cw.varintField(1, c.minTime);
    cw.varintField(2, c.maxTime);
    const raw = new ProtoWriter();
    // type XOR = 0 is the proto3 default and omitted.
    raw.bytesField(2, c.data);
    cw.bytesField(3, raw.finish());
    sw.bytesField(2, cw.finish());
  }
  return sw.finish();
}

/** A SeriesResponse{warning} frame. */
export function encodeWarningFrame(message: string): Uint8Array {
  const w = new ProtoWriter();
  w.bytesField(2, encoder.encode(message));
  return w.finish();
}
