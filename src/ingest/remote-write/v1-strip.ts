/**
 * The remote write 1.0 hot path: one pass over a decoded WriteRequest that checks its structure,
 * counts what it carries and, when asked, removes a label from every series in place, recording
 * the edited byte ranges so the snappy body can be rebuilt from the sender's own compression
 * (wire/snappy-edit.ts). Samples, exemplars and histograms are skipped by their lengths, never
 * decoded. Pure, no I/O.
 */
import { ProtoDecodeError } from '../../wire/protowire.js';
import type { ByteEdits } from '../../wire/snappy-edit.js';
import { decoding } from './wire.js';

export interface WriteRequestCounts {
  series: number;
  samples: number;
  exemplars: number;
  histograms: number;
  metadata: number;
  /** Length of the request after the removal (the edited bytes are buf[0, length)). */
  length: number;
}

// Tags (field << 3 | wire type) this pass knows: WriteRequest.timeseries = 1 and metadata = 3;
// TimeSeries.labels = 1, samples = 2, exemplars = 3, histograms = 4; Label.name = 1, value = 2.
const TAG_TIMESERIES = 0x0a;
const TAG_METADATA = 0x1a;
const TAG_LABELS = 0x0a;
const TAG_SAMPLES = 0x12;
const TAG_EXEMPLARS = 0x1a;
const TAG_HISTOGRAMS = 0x22;
const TAG_NAME = 0x0a;
const TAG_VALUE = 0x12;

/** Per-call cursor: the position after the last varint read (avoids returning pairs). */
let cursor = 0;

function varintAt(buf: Uint8Array, p: number, end: number): number {
  let x = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (p >= end) throw new ProtoDecodeError('truncated varint');
    const b = buf[p++]!;
    x += (b & 0x7f) * mul;
    if (b < 0x80) {
      cursor = p;
      return x;
    }
    mul *= 128;
  }
  throw new ProtoDecodeError('varint too long for a length or tag');
}

/** The end of a length-delimited payload starting with its length at p (cursor = payload start). */
function lenEnd(buf: Uint8Array, p: number, end: number): number {
  let n: number;
  if (p < end && buf[p]! < 0x80) {
    n = buf[p]!;
    cursor = p + 1;
  } else n = varintAt(buf, p, end);
  const e = cursor + n;
  if (e > end) throw new ProtoDecodeError(`length ${n} runs past the end of the message`);
  return e;
}

/** Skips a field of a wire type we do not read; p is just after its tag. */
function skipField(buf: Uint8Array, tag: number, p: number, end: number): number {
  const field = Math.floor(tag / 8);
  if (field === 0 || field > 0x1fffffff) throw new ProtoDecodeError(`invalid field tag ${tag}`);
  switch (tag % 8) {
    case 0:
      varintAt(buf, p, end);
      return cursor;
    case 1:
      if (p + 8 > end) throw new ProtoDecodeError('truncated fixed64');
      return p + 8;
    case 2:
      return lenEnd(buf, p, end);
    case 5:
      if (p + 4 > end) throw new ProtoDecodeError('truncated fixed32');
      return p + 4;
    default:
      throw new ProtoDecodeError(`field ${field} has unsupported wire type ${tag % 8}`);
  }
}

function readTag(buf: Uint8Array, p: number, end: number): number {
  const b = buf[p]!;
  if (b < 0x80) {
    cursor = p + 1;
    return b;
  }
  return varintAt(buf, p, end);
}

function wrongWire(what: string, tag: number): ProtoDecodeError {
  return new ProtoDecodeError(`${what} (field ${Math.floor(tag / 8)}) has wire type ${tag % 8}, expected length-delimited`);
}

/**
 * Whether the Label message buf[s, e) is named `name`. The common shape (name then value, once
 * each) is checked in place; anything else is walked field by field, the last name winning as in
 * proto3.
 */
function labelNamed(buf: Uint8Array, s: number, e: number, name: Uint8Array): boolean {
  const n = name.length;
  if (buf[s] === TAG_NAME && s + 1 < e) {
    const nl = buf[s + 1]!;
    const vAt = s + 2 + nl;
    if (nl < 0x80 && vAt + 1 < e && buf[vAt] === TAG_VALUE && buf[vAt + 1]! < 0x80 && vAt + 2 + buf[vAt + 1]! === e) {
      if (nl !== n) return false;
      for (let i = 0; i < n; i++) if (buf[s + 2 + i] !== name[i]) return false;
      return true;
    }
    if (nl < 0x80 && vAt === e) return nl === n && sameBytes(buf, s + 2, name); // value absent ("")
  }
  let ns = -1;
  let ne = -1;
  let p = s;
  while (p < e) {
    const tag = readTag(buf, p, e);
    p = cursor;
    if (tag === TAG_NAME || tag === TAG_VALUE) {
      const fe = lenEnd(buf, p, e);
      if (tag === TAG_NAME) {
        ns = cursor;
        ne = fe;
      }
      p = fe;
    } else if (tag >>> 3 === 1 || tag >>> 3 === 2) throw wrongWire(tag >>> 3 === 1 ? 'label name' : 'label value', tag);
    else p = skipField(buf, tag, p, e);
  }
  if (ns < 0) return n === 0;
  return ne - ns === n && sameBytes(buf, ns, name);
}

function sameBytes(buf: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (buf[at + i] !== want[i]) return false;
  return true;
}

/** The current series' labels to remove (reused: the pass is synchronous). */
let removedStarts = new Int32Array(8);
let removedEnds = new Int32Array(8);
let removedCount = 0;

function noteRemoved(start: number, end: number): void {
  if (removedCount === removedStarts.length) {
    const starts = new Int32Array(removedCount * 2);
    const ends = new Int32Array(removedCount * 2);
    starts.set(removedStarts);
    ends.set(removedEnds);
    removedStarts = starts;
    removedEnds = ends;
  }
  removedStarts[removedCount] = start;
  removedEnds[removedCount++] = end;
}

/**
 * Checks and counts a WriteRequest; with `name`, removes every label so named from every series
 * in place (buf[0, length) is the result) and records the edits. Throws RemoteWriteDecodeError
 * (400) on malformed protobuf, naming the series.
 */
export function scanWriteRequest(buf: Uint8Array, name: Uint8Array | null, edits: ByteEdits | null): WriteRequestCounts {
  return decoding('WriteRequest', () => {
    edits?.clear();
    const counts: WriteRequestCounts = { series: 0, samples: 0, exemplars: 0, histograms: 0, metadata: 0, length: buf.length };
    const end = buf.length;
    let removed = 0; // bytes removed so far
    let cleanFrom = 0; // start of the unedited run not yet moved left by `removed`
    let p = 0;
    while (p < end) {
      const tag = readTag(buf, p, end);
      p = cursor;
      if (tag === TAG_TIMESERIES) {
        const lenAt = p;
        const e = lenEnd(buf, p, end);
        const s = cursor;
        removedCount = 0;
        try {
          scanSeries(buf, s, e, counts, name);
        } catch (err) {
          if (err instanceof ProtoDecodeError) throw new ProtoDecodeError(`timeseries[${counts.series}]: ${err.message}`);
          throw err;
        }
        counts.series++;
        if (removedCount > 0 && edits !== null) {
          let newLen = e - s;
          for (let i = 0; i < removedCount; i++) newLen -= removedEnds[i]! - removedStarts[i]!;
          // The series' length prefix is rewritten (never longer), then each label taken out.
          const w = moveClean(buf, cleanFrom, lenAt, removed);
          const written = writeVarint(buf, w, newLen);
          removed += s - lenAt - written;
          edits.add(lenAt, s, removed);
          cleanFrom = s;
          for (let i = 0; i < removedCount; i++) {
            moveClean(buf, cleanFrom, removedStarts[i]!, removed);
            removed += removedEnds[i]! - removedStarts[i]!;
            edits.add(removedStarts[i]!, removedEnds[i]!, removed);
            cleanFrom = removedEnds[i]!;
          }
        }
        p = e;
      } else if (tag === TAG_METADATA) {
        p = lenEnd(buf, p, end);
        counts.metadata++;
      } else if (tag >>> 3 === 1 || tag >>> 3 === 3) {
        throw wrongWire(tag >>> 3 === 1 ? 'timeseries' : 'metadata', tag);
      } else p = skipField(buf, tag, p, end); // e.g. Cortex's Source (2): not ours to judge
    }
    if (removed > 0) {
      moveClean(buf, cleanFrom, end, removed);
      counts.length = end - removed;
    }
    return counts;
  });
}

/** Moves the unedited run [from, to) left by `removed`; returns where the run now ends. */
function moveClean(buf: Uint8Array, from: number, to: number, removed: number): number {
  if (removed > 0 && to > from) buf.copyWithin(from - removed, from, to);
  return to - removed;
}

function writeVarint(buf: Uint8Array, at: number, x: number): number {
  let o = at;
  while (x >= 0x80) {
    buf[o++] = (x & 0x7f) | 0x80;
    x = Math.floor(x / 0x80);
  }
  buf[o++] = x;
  return o - at;
}

function scanSeries(buf: Uint8Array, s: number, e: number, counts: WriteRequestCounts, name: Uint8Array | null): void {
  let p = s;
  let found = false;
  let past = false;
  while (p < e) {
    const fieldStart = p;
    const tag = readTag(buf, p, e);
    p = cursor;
    switch (tag) {
      case TAG_LABELS: {
        const le = lenEnd(buf, p, e);
        if (name === null) labelNamed(buf, cursor, le, EMPTY); // structure check only
        else if (!past) {
          if (labelNamed(buf, cursor, le, name)) {
            noteRemoved(fieldStart, le);
            found = true;
          } else if (found) {
            // Labels are sorted (the spec), so a repeated name would come right after the first:
            // once another name follows, the rest are stepped over by their lengths.
            past = true;
          }
        }
        p = le;
        break;
      }
      case TAG_SAMPLES:
        p = lenEnd(buf, p, e);
        counts.samples++;
        break;
      case TAG_EXEMPLARS:
        p = lenEnd(buf, p, e);
        counts.exemplars++;
        break;
      case TAG_HISTOGRAMS:
        p = lenEnd(buf, p, e);
        counts.histograms++;
        break;
      default: {
        const field = tag >>> 3;
        if (field >= 1 && field <= 4) throw wrongWire(['label', 'sample', 'exemplar', 'histogram'][field - 1]!, tag);
        p = skipField(buf, tag, p, e);
      }
    }
  }
}

const EMPTY = new Uint8Array(0);
