/**
 * Remote write 1.0 (prometheus.WriteRequest, schema in proto/prometheus/write.proto): the first
 * series' labels for the HA decision, a summary, and label removal that leaves samples, exemplars
 * and histograms undecoded (the pass itself is v1-strip.ts). Pure, no I/O.
 */
import type { Label } from '../../model/labels.js';
import { ProtoReader, utf8, WIRE_LEN } from '../../wire/protowire.js';
import { ByteEdits } from '../../wire/snappy-edit.js';
import { scanSeries, type SeriesCounts } from './v1-series.js';
import { scanWriteRequest } from './v1-strip.js';
import { decoding, expectWire, inSeries, readTag } from './wire.js';

export { dropLabelByDecode } from './v1-reference.js';
export { scanWriteRequest, type WriteRequestCounts } from './v1-strip.js';

export const WRITE_TIMESERIES = 1;

export interface WriteRequestSummary {
  readonly series: number;
  readonly samples: number;
  readonly exemplars: number;
  readonly histograms: number;
  readonly metadata: number;
  /** Labels of timeseries[0] in wire order (empty without series): the HA verdict is taken on it. */
  readonly firstSeriesLabels: Label[];
}

/** Labels of the request's first series (Mimir decides on it); empty when it has none. */
export function firstSeriesLabels(buf: Uint8Array): Label[] {
  return decoding('WriteRequest', () => {
    const labels: Label[] = [];
    const r = new ProtoReader(buf);
    while (!r.done()) {
      const tag = readTag(r);
      if (tag.field !== WRITE_TIMESERIES) {
        r.skip(tag.wire);
        continue;
      }
      expectWire('timeseries', tag, WIRE_LEN);
      const e = r.lenEnd();
      const counts: SeriesCounts = { samples: 0, exemplars: 0, histograms: 0 };
      inSeries(0, () =>
        scanSeries(buf, r.pos, e, counts, (_s, _e, ns, ne, vs, ve) => labels.push({ name: utf8(buf, ns, ne), value: utf8(buf, vs, ve) })),
      );
      break;
    }
    return labels;
  });
}

/** Walks a WriteRequest once; throws RemoteWriteDecodeError on malformed protobuf. */
export function inspectWriteRequest(buf: Uint8Array): WriteRequestSummary {
  const { series, samples, exemplars, histograms, metadata } = scanWriteRequest(buf, null, null);
  return { series, samples, exemplars, histograms, metadata, firstSeriesLabels: firstSeriesLabels(buf) };
}

const encoder = new TextEncoder();

/**
 * The WriteRequest with every series' label `name` removed: only the length prefixes of the
 * series that changed are recomputed, every other byte is kept. Without a match, returns `buf`.
 */
export function dropLabel(buf: Uint8Array, name: string): Uint8Array {
  const copy = Uint8Array.from(buf);
  const { length } = scanWriteRequest(copy, encoder.encode(name), new ByteEdits());
  return length === buf.length ? buf : copy.subarray(0, length);
}
