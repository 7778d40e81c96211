/**
 * Remote write 1.0 (prometheus.WriteRequest, schema in proto/prometheus/write.proto): a one-pass
 * summary for the HA decision, and a byte-level label removal that leaves samples, exemplars and
 * histograms undecoded. Pure, no I/O.
 */
import type { Label } from '../../model/labels.js';
import { ProtoReader, utf8, WIRE_LEN } from '../../wire/protowire.js';
import { scanSeries, type SeriesCounts } from './v1-series.js';
import { bytesEqual, concatBytes, decoding, expectWire, inSeries, readTag, varintBytes } from './wire.js';

export { dropLabelByDecode } from './v1-reference.js';

export const WRITE_TIMESERIES = 1;
export const WRITE_METADATA = 3;

export interface WriteRequestSummary {
  readonly series: number;
  readonly samples: number;
  readonly exemplars: number;
  readonly histograms: number;
  readonly metadata: number;
  /** Labels of timeseries[0] in wire order (empty without series): the HA verdict is taken on it. */
  readonly firstSeriesLabels: Label[];
}

/** Walks a WriteRequest once; throws RemoteWriteDecodeError on malformed protobuf. */
export function inspectWriteRequest(buf: Uint8Array): WriteRequestSummary {
  return decoding('WriteRequest', () => {
    const counts: SeriesCounts = { samples: 0, exemplars: 0, histograms: 0 };
    const firstSeriesLabels: Label[] = [];
    const pushFirst = (_s: number, _e: number, ns: number, ne: number, vs: number, ve: number): void => {
      firstSeriesLabels.push({ name: utf8(buf, ns, ne), value: utf8(buf, vs, ve) });
    };
    let series = 0;
    let metadata = 0;
    const r = new ProtoReader(buf);
    while (!r.done()) {
      const tag = readTag(r);
      if (tag.field === WRITE_TIMESERIES) {
        expectWire('timeseries', tag, WIRE_LEN);
        const e = r.lenEnd();
        inSeries(series, () => scanSeries(buf, r.pos, e, counts, series === 0 ? pushFirst : undefined));
        r.pos = e;
        series++;
      } else if (tag.field === WRITE_METADATA) {
        expectWire('metadata', tag, WIRE_LEN);
        r.pos = r.lenEnd();
        metadata++;
      } else r.skip(tag.wire); // e.g. Cortex's Source (2): not ours to judge
    }
    return { series, ...counts, metadata, firstSeriesLabels };
  });
}

const encoder = new TextEncoder();

/**
 * Returns the WriteRequest with every series' label `name` removed. Only the length prefixes of the
 * series that changed are recomputed; every other byte is copied. Without a match, returns `buf`.
 */
export function dropLabel(buf: Uint8Array, name: string): Uint8Array {
  const target = encoder.encode(name);
  return decoding('WriteRequest', () => {
    const parts: Uint8Array[] = [];
    const counts: SeriesCounts = { samples: 0, exemplars: 0, histograms: 0 };
    const removed: number[] = [];
    const collect = (s: number, e: number, ns: number, ne: number): void => {
      if (bytesEqual(buf, ns, ne, target)) removed.push(s, e);
    };
    let copyFrom = 0;
    let series = 0;
    const r = new ProtoReader(buf);
    while (!r.done()) {
      const tag = readTag(r);
      if (tag.field === WRITE_TIMESERIES) {
        expectWire('timeseries', tag, WIRE_LEN);
        const lenAt = r.pos;
        const e = r.lenEnd();
        const s = r.pos;
        removed.length = 0;
        inSeries(series, () => scanSeries(buf, s, e, counts, collect));
        if (removed.length > 0) {
          parts.push(buf.subarray(copyFrom, lenAt));
          let newLen = e - s;
          for (let i = 0; i < removed.length; i += 2) newLen -= removed[i + 1]! - removed[i]!;
          parts.push(varintBytes(newLen));
          let from = s;
          for (let i = 0; i < removed.length; i += 2) {
            parts.push(buf.subarray(from, removed[i]!));
            from = removed[i + 1]!;
          }
          parts.push(buf.subarray(from, e));
          copyFrom = e;
        }
        r.pos = e;
        series++;
      } else if (tag.field === WRITE_METADATA) {
        expectWire('metadata', tag, WIRE_LEN);
        r.pos = r.lenEnd();
      } else r.skip(tag.wire);
    }
    if (parts.length === 0) return buf;
    parts.push(buf.subarray(copyFrom));
    return concatBytes(parts);
  });
}
