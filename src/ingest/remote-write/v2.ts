/**
 * Remote write 2.0 (io.prometheus.write.v2.Request, schema in
 * proto/prometheus/io/prometheus/write/v2/types.proto): a one-pass summary for the HA decision and
 * a byte-level removal of a label's (name, value) refs. The symbols table is left as it is. Pure.
 */
import type { Label } from '../../model/labels.js';
import { ProtoDecodeError, ProtoReader, utf8, WIRE_LEN, WIRE_VARINT } from '../../wire/protowire.js';
import { bytesEqual, concatBytes, decoding, expectWire, inSeries, readTag, varintBytes } from './wire.js';

export { dropLabelV2ByDecode } from './v2-reference.js';

export const REQUEST_SYMBOLS = 4;
export const REQUEST_TIMESERIES = 5;
const SERIES_LABELS_REFS = 1;
const SERIES_SAMPLES = 2;
const SERIES_HISTOGRAMS = 3;
const SERIES_EXEMPLARS = 4;
const SERIES_METADATA = 5;

export interface WriteRequestV2Summary {
  readonly symbols: number;
  readonly series: number;
  readonly samples: number;
  readonly exemplars: number;
  readonly histograms: number;
  /** Series that carry a Metadata message. */
  readonly metadata: number;
  /** Labels of timeseries[0] resolved through the symbols table (empty without series). */
  readonly firstSeriesLabels: Label[];
}

interface Counts {
  samples: number;
  exemplars: number;
  histograms: number;
  metadata: number;
}

/** One labels_refs entry: its value and the bytes of its varint; `field` is its field's index. */
interface Ref {
  value: number;
  s: number;
  e: number;
  field: number;
}

/** A labels_refs field: [start, end) whole; for a packed one, where its length prefix sits. */
interface RefsField {
  start: number;
  lenAt: number;
  end: number;
  packed: boolean;
}

/** Symbol byte ranges, gathered first: protobuf allows symbols after the series that use them. */
function symbolRanges(buf: Uint8Array): number[] {
  const out: number[] = [];
  const r = new ProtoReader(buf);
  while (!r.done()) {
    const tag = readTag(r);
    if (tag.field === REQUEST_SYMBOLS) {
      expectWire('symbol', tag, WIRE_LEN);
      const e = r.lenEnd();
      out.push(r.pos, e);
      r.pos = e;
    } else if (tag.field === REQUEST_TIMESERIES) {
      expectWire('timeseries', tag, WIRE_LEN);
      r.pos = r.lenEnd();
    } else r.skip(tag.wire);
  }
  return out;
}

/** Walks one TimeSeries, checking its structure and collecting its label refs. */
function scanSeriesV2(buf: Uint8Array, s: number, e: number, nSymbols: number, counts: Counts, refs: Ref[], fields: RefsField[]): void {
  const r = new ProtoReader(buf, s, e);
  while (!r.done()) {
    const start = r.pos;
    const tag = readTag(r);
    switch (tag.field) {
      case SERIES_LABELS_REFS:
        if (tag.wire === WIRE_VARINT) {
          const vs = r.pos;
          refs.push({ value: r.varint64(), s: vs, e: r.pos, field: fields.length });
          fields.push({ start, lenAt: -1, end: r.pos, packed: false });
        } else {
          expectWire('labels_refs', tag, WIRE_LEN);
          const lenAt = r.pos;
          const pe = r.lenEnd();
          const pr = new ProtoReader(buf, r.pos, pe);
          while (!pr.done()) {
            const vs = pr.pos;
            refs.push({ value: pr.varint64(), s: vs, e: pr.pos, field: fields.length });
          }
          fields.push({ start, lenAt, end: pe, packed: true });
          r.pos = pe;
        }
        break;
      case SERIES_SAMPLES:
        expectWire('sample', tag, WIRE_LEN);
        r.pos = r.lenEnd();
        counts.samples++;
        break;
      case SERIES_HISTOGRAMS:
        expectWire('histogram', tag, WIRE_LEN);
        r.pos = r.lenEnd();
        counts.histograms++;
        break;
      case SERIES_EXEMPLARS:
        expectWire('exemplar', tag, WIRE_LEN);
        r.pos = r.lenEnd();
        counts.exemplars++;
        break;
      case SERIES_METADATA:
        expectWire('metadata', tag, WIRE_LEN);
        r.pos = r.lenEnd();
        counts.metadata++;
        break;
      default:
        r.skip(tag.wire); // e.g. created_timestamp (6) from earlier release candidates
    }
  }
  if (refs.length % 2 !== 0) throw new ProtoDecodeError(`labels_refs has an odd number of entries (${refs.length})`);
  for (const ref of refs) {
    if (ref.value < 0 || ref.value >= nSymbols) {
      throw new ProtoDecodeError(`labels_refs entry ${ref.value} is outside the ${nSymbols} symbols`);
    }
  }
}

export function inspectWriteRequestV2(buf: Uint8Array): WriteRequestV2Summary {
  return decoding('v2 Request', () => {
    const symbols = symbolRanges(buf);
    const nSymbols = symbols.length / 2;
    const counts: Counts = { samples: 0, exemplars: 0, histograms: 0, metadata: 0 };
    const firstSeriesLabels: Label[] = [];
    const sym = (i: number): string => utf8(buf, symbols[2 * i]!, symbols[2 * i + 1]!);
    let series = 0;
    const r = new ProtoReader(buf);
    while (!r.done()) {
      const tag = readTag(r);
      if (tag.field === REQUEST_TIMESERIES) {
        expectWire('timeseries', tag, WIRE_LEN);
        const e = r.lenEnd();
        const refs: Ref[] = [];
        inSeries(series, () => scanSeriesV2(buf, r.pos, e, nSymbols, counts, refs, []));
        if (series === 0) {
          for (let i = 0; i < refs.length; i += 2) firstSeriesLabels.push({ name: sym(refs[i]!.value), value: sym(refs[i + 1]!.value) });
        }
        r.pos = e;
        series++;
      } else r.skip(tag.wire); // symbols were checked by symbolRanges
    }
    return { symbols: nSymbols, series, ...counts, firstSeriesLabels };
  });
}

const encoder = new TextEncoder();

/**
 * Removes from every series the (name, value) ref pairs whose name symbol is `name`, keeping each
 * labels_refs field packed or unpacked as it was (an emptied field is left out). Only the changed
 * length prefixes are recomputed. Without a match, returns `buf`.
 */
export function dropLabelV2(buf: Uint8Array, name: string): Uint8Array {
  const target = encoder.encode(name);
  return decoding('v2 Request', () => {
    const symbols = symbolRanges(buf);
    const nSymbols = symbols.length / 2;
    // Symbols are not promised to be unique, so more than one index may spell `name`.
    const targets = new Set<number>();
    for (let i = 0; i < nSymbols; i++) if (bytesEqual(buf, symbols[2 * i]!, symbols[2 * i + 1]!, target)) targets.add(i);
    const counts: Counts = { samples: 0, exemplars: 0, histograms: 0, metadata: 0 };
    const parts: Uint8Array[] = [];
    let copyFrom = 0;
    let series = 0;
    const r = new ProtoReader(buf);
    while (!r.done()) {
      const tag = readTag(r);
      if (tag.field === REQUEST_TIMESERIES) {
        expectWire('timeseries', tag, WIRE_LEN);
        const lenAt = r.pos;
        const e = r.lenEnd();
        const s = r.pos;
        const refs: Ref[] = [];
        const fields: RefsField[] = [];
        inSeries(series, () => scanSeriesV2(buf, s, e, nSymbols, counts, refs, fields));
        const body = targets.size > 0 ? rewriteSeries(buf, s, e, refs, fields, targets) : undefined;
        if (body) {
          parts.push(buf.subarray(copyFrom, lenAt), varintBytes(body.length), ...body.parts);
          copyFrom = e;
        }
        r.pos = e;
        series++;
      } else r.skip(tag.wire);
    }
    if (parts.length === 0) return buf;
    parts.push(buf.subarray(copyFrom));
    return concatBytes(parts);
  });
}

/** The series payload without the dropped refs, as byte pieces; undefined when nothing is dropped. */
function rewriteSeries(
  buf: Uint8Array,
  s: number,
  e: number,
  refs: readonly Ref[],
  fields: readonly RefsField[],
  targets: ReadonlySet<number>,
): { parts: Uint8Array[]; length: number } | undefined {
  const dropped = new Array<boolean>(refs.length).fill(false);
  let any = false;
  for (let i = 0; i < refs.length; i += 2) {
    if (targets.has(refs[i]!.value)) dropped[i] = dropped[i + 1] = any = true;
  }
  if (!any) return undefined;
  // Kept varint bytes per labels_refs field.
  const kept: Uint8Array[][] = fields.map(() => []);
  const touched = new Array<boolean>(fields.length).fill(false);
  refs.forEach((ref, i) => {
    if (dropped[i]) touched[ref.field] = true;
    else kept[ref.field]!.push(buf.subarray(ref.s, ref.e));
  });
  const parts: Uint8Array[] = [];
  let from = s;
  fields.forEach((f, i) => {
    if (!touched[i]) return;
    parts.push(buf.subarray(from, f.start));
    from = f.end;
    const payload = kept[i]!;
    if (!f.packed || payload.length === 0) return; // an unpacked ref was dropped, or nothing is left
    let n = 0;
    for (const p of payload) n += p.length;
    parts.push(buf.subarray(f.start, f.lenAt), varintBytes(n), ...payload);
  });
  parts.push(buf.subarray(from, e));
  let length = 0;
  for (const p of parts) length += p.length;
  return { parts, length };
}
