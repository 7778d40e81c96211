/**
 * thanos.SeriesResponse frames, read and written straight from and to bytes (schema in
 * proto/thanos/store/storepb/). The Series path skips proto-loader's generic objects: a frame is
 * decoded in a query worker without building an object per chunk, and the server writes frames its
 * worker encoded (docs/storeapi.md, "Why Series frames are decoded by hand", has the measurement). Pure, no I/O.
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

/** UTF-8 bytes of label names and values: they repeat across series (bounded; cleared when full). */
const utf8Cache = new Map<string, Uint8Array>();
const UTF8_CACHE_MAX = 16_384;

function utf8Bytes(s: string): Uint8Array {
  let b = utf8Cache.get(s);
  if (b === undefined) {
    if (utf8Cache.size >= UTF8_CACHE_MAX) utf8Cache.clear();
    b = encoder.encode(s);
    utf8Cache.set(s, b);
  }
  return b;
}

/** Bytes of a varint of a non-negative safe integer. */
function uvarintLen(x: number): number {
  let n = 1;
  while (x >= 0x80) {
    x = Math.floor(x / 0x80);
    n++;
  }
  return n;
}

/** Bytes of an int64 varint field's value (negative: 10, two's complement). */
function int64Len(x: number): number {
  return x < 0 ? 10 : uvarintLen(x);
}

/** Writes into one exactly sized buffer; each message's size is worked out before it is written. */
class SizedWriter {
  readonly buf: Uint8Array;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  uvarint(x: number): void {
    const buf = this.buf;
    while (x >= 0x80) {
      buf[this.pos++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    buf[this.pos++] = x;
  }

  int64(x: number): void {
    if (x >= 0) return this.uvarint(x);
    let lo = (((x % 4294967296) + 4294967296) % 4294967296) >>> 0;
    let hi = Math.floor(x / 4294967296) >>> 0;
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo & 0x7f;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** Sizes of one thanos.Series' parts, worked out once and used to write it. */
interface SeriesLayout {
  readonly size: number;
  readonly names: Uint8Array[];
  readonly values: Uint8Array[];
  readonly labelSizes: number[];
  readonly chunkSizes: number[];
  readonly rawSizes: number[];
}

function layoutSeries(labels: Labels, chunks: readonly RawChunk[]): SeriesLayout {
  let size = 0;
  const names: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  const labelSizes: number[] = [];
  for (const l of labels) {
    const n = utf8Bytes(l.name);
    const v = utf8Bytes(l.value);
    // proto3 leaves empty strings out.
    const inner = (n.length > 0 ? 1 + uvarintLen(n.length) + n.length : 0) + (v.length > 0 ? 1 + uvarintLen(v.length) + v.length : 0);
    names.push(n);
    values.push(v);
    labelSizes.push(inner);
    size += 1 + uvarintLen(inner) + inner;
  }
  const chunkSizes: number[] = [];
  const rawSizes: number[] = [];
  for (const c of chunks) {
    // Chunk{type XOR = 0 omitted, data}; no hash (0: "not computed").
    const raw = 1 + uvarintLen(c.data.length) + c.data.length;
    const aggr = (c.minTime !== 0 ? 1 + int64Len(c.minTime) : 0) + (c.maxTime !== 0 ? 1 + int64Len(c.maxTime) : 0) + 1 + uvarintLen(raw) + raw;
    rawSizes.push(raw);
    chunkSizes.push(aggr);
    size += 1 + uvarintLen(aggr) + aggr;
  }
  return { size, names, values, labelSizes, chunkSizes, rawSizes };
}

function writeSeries(w: SizedWriter, l: SeriesLayout, chunks: readonly RawChunk[]): void {
  for (let i = 0; i < l.names.length; i++) {
    w.buf[w.pos++] = (1 << 3) | WIRE_LEN;
    w.uvarint(l.labelSizes[i]!);
    const n = l.names[i]!;
    const v = l.values[i]!;
    if (n.length > 0) {
      w.buf[w.pos++] = (1 << 3) | WIRE_LEN;
      w.uvarint(n.length);
      w.bytes(n);
    }
    if (v.length > 0) {
      w.buf[w.pos++] = (2 << 3) | WIRE_LEN;
      w.uvarint(v.length);
      w.bytes(v);
    }
  }
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]!;
    w.buf[w.pos++] = (2 << 3) | WIRE_LEN;
    w.uvarint(l.chunkSizes[i]!);
    if (c.minTime !== 0) {
      w.buf[w.pos++] = (1 << 3) | WIRE_VARINT;
      w.int64(c.minTime);
    }
    if (c.maxTime !== 0) {
      w.buf[w.pos++] = (2 << 3) | WIRE_VARINT;
      w.int64(c.maxTime);
    }
    w.buf[w.pos++] = (3 << 3) | WIRE_LEN;
    w.uvarint(l.rawSizes[i]!);
    w.buf[w.pos++] = (2 << 3) | WIRE_LEN;
    w.uvarint(c.data.length);
    w.bytes(c.data);
  }
}

/**
 * A SeriesResponse{series} frame: labels and raw XOR chunks (no hash: 0 means "not computed").
 * `prefix` bytes are left free at the start (for a length the caller writes there).
 */
export function encodeSeriesFrame(labels: Labels, chunks: readonly RawChunk[], prefix = 0): Uint8Array {
  const l = layoutSeries(labels, chunks);
  const w = new SizedWriter(prefix + 1 + uvarintLen(l.size) + l.size);
  w.pos = prefix;
  w.buf[w.pos++] = (1 << 3) | WIRE_LEN;
  w.uvarint(l.size);
  writeSeries(w, l, chunks);
  return w.buf;
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
  const l = layoutSeries(labels, chunks);
  const w = new SizedWriter(l.size);
  writeSeries(w, l, chunks);
  return w.buf;
}

/** A SeriesResponse{warning} frame. */
export function encodeWarningFrame(message: string): Uint8Array {
  const w = new ProtoWriter();
  w.bytesField(2, encoder.encode(message));
  return w.finish();
}
