/**
 * Reference remote write 1.0 codec: decodes a WriteRequest into objects and encodes it back with
 * ProtoWriter. It allocates per sample and label; it exists to check the
 * byte-level dropLabel and to compare against it in the benchmark.
 */
import type { Label } from '../../model/labels.js';
import { ProtoReader, ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../wire/protowire.js';
import { decoding, expectWire, readTag } from './wire.js';

export interface DecodedSample {
  readonly value: number;
  readonly timestamp: number;
}

export interface DecodedTimeSeries {
  labels: Label[];
  samples: DecodedSample[];
  /** Exemplar and Histogram messages, kept as their payload bytes. */
  exemplars: Uint8Array[];
  histograms: Uint8Array[];
}

export interface DecodedWriteRequest {
  timeseries: DecodedTimeSeries[];
  /** MetricMetadata payloads. */
  metadata: Uint8Array[];
}

export function decodeWriteRequest(buf: Uint8Array): DecodedWriteRequest {
  return decoding('WriteRequest', () => {
    const out: DecodedWriteRequest = { timeseries: [], metadata: [] };
    const r = new ProtoReader(buf);
    while (!r.done()) {
      const tag = readTag(r);
      if (tag.field === 1) {
        expectWire('timeseries', tag, WIRE_LEN);
        const e = r.lenEnd();
        out.timeseries.push(decodeSeries(buf, r.pos, e));
        r.pos = e;
      } else if (tag.field === 3) {
        expectWire('metadata', tag, WIRE_LEN);
        out.metadata.push(r.bytes());
      } else r.skip(tag.wire);
    }
    return out;
  });
}

function decodeSeries(buf: Uint8Array, s: number, e: number): DecodedTimeSeries {
  const ts: DecodedTimeSeries = { labels: [], samples: [], exemplars: [], histograms: [] };
  const r = new ProtoReader(buf, s, e);
  while (!r.done()) {
    const tag = readTag(r);
    switch (tag.field) {
      case 1: {
        expectWire('label', tag, WIRE_LEN);
        const le = r.lenEnd();
        ts.labels.push(decodeLabel(buf, r.pos, le));
        r.pos = le;
        break;
      }
      case 2: {
        expectWire('sample', tag, WIRE_LEN);
        const se = r.lenEnd();
        ts.samples.push(decodeSample(buf, r.pos, se));
        r.pos = se;
        break;
      }
      case 3:
        expectWire('exemplar', tag, WIRE_LEN);
        ts.exemplars.push(r.bytes());
        break;
      case 4:
        expectWire('histogram', tag, WIRE_LEN);
        ts.histograms.push(r.bytes());
        break;
      default:
        r.skip(tag.wire);
    }
  }
  return ts;
}

function decodeLabel(buf: Uint8Array, s: number, e: number): Label {
  let name = '';
  let value = '';
  const r = new ProtoReader(buf, s, e);
  while (!r.done()) {
    const tag = readTag(r);
    if (tag.field === 1) {
      expectWire('label name', tag, WIRE_LEN);
      name = r.string();
    } else if (tag.field === 2) {
      expectWire('label value', tag, WIRE_LEN);
      value = r.string();
    } else r.skip(tag.wire);
  }
  return { name, value };
}

function decodeSample(buf: Uint8Array, s: number, e: number): DecodedSample {
  let value = 0;
  let timestamp = 0;
  const r = new ProtoReader(buf, s, e);
  while (!r.done()) {
    const tag = readTag(r);
    if (tag.field === 1) {
      expectWire('sample value', tag, WIRE_I64);
      value = readDouble(r);
    } else if (tag.field === 2) {
      expectWire('sample timestamp', tag, WIRE_VARINT);
      timestamp = r.varint64();
    } else r.skip(tag.wire);
  }
  return { value, timestamp };
}

export function readDouble(r: ProtoReader): number {
  const at = r.pos;
  r.advance(8);
  return new DataView(r.buf.buffer, r.buf.byteOffset + at, 8).getFloat64(0, true);
}

/** Tag (field 1, fixed64) followed by the value: ProtoWriter has no fixed64 writer. */
export function doubleField(value: number): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = (1 << 3) | WIRE_I64;
  new DataView(out.buffer).setFloat64(1, value, true);
  return out;
}

export function encodeWriteRequest(req: DecodedWriteRequest): Uint8Array {
  const w = new ProtoWriter();
  for (const ts of req.timeseries) {
    const tw = new ProtoWriter();
    for (const l of ts.labels) {
      const lw = new ProtoWriter();
      lw.stringField(1, l.name);
      lw.stringField(2, l.value);
      tw.bytesField(1, lw.finish());
    }
    for (const smp of ts.samples) {
      const sw = new ProtoWriter();
      sw.varintField(2, smp.timestamp);
      const rest = sw.finish();
      const head = doubleField(smp.value);
      const both = new Uint8Array(head.length + rest.length);
      both.set(head);
      both.set(rest, head.length);
      tw.bytesField(2, both);
    }
    for (const x of ts.exemplars) tw.bytesField(3, x);
    for (const h of ts.histograms) tw.bytesField(4, h);
    w.bytesField(1, tw.finish());
  }
  for (const m of req.metadata) w.bytesField(3, m);
  return w.finish();
}

/** dropLabel by full decode and re-encode: same content, bytes may differ in field order/defaults. */
export function dropLabelByDecode(buf: Uint8Array, name: string): Uint8Array {
  const req = decodeWriteRequest(buf);
  for (const ts of req.timeseries) ts.labels = ts.labels.filter((l) => l.name !== name);
  return encodeWriteRequest(req);
}
