/**
 * Reference remote write 2.0 codec: full decode into objects and re-encode with ProtoWriter, to
 * check the byte-level dropLabelV2 (and for the benchmark).
 */
import { ProtoReader, ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../wire/protowire.js';
import { doubleField, readDouble } from './v1-reference.js';
import { decoding, expectWire, readTag } from './wire.js';

export interface DecodedSampleV2 {
  readonly value: number;
  readonly timestamp: number;
  readonly startTimestamp: number;
}

export interface DecodedTimeSeriesV2 {
  labelsRefs: number[];
  samples: DecodedSampleV2[];
  /** Histogram, Exemplar and Metadata messages as their payload bytes. */
  histograms: Uint8Array[];
  exemplars: Uint8Array[];
  metadata: Uint8Array | undefined;
}

export interface DecodedRequestV2 {
  symbols: string[];
  timeseries: DecodedTimeSeriesV2[];
}

export function decodeRequestV2(buf: Uint8Array): DecodedRequestV2 {
  return decoding('v2 Request', () => {
    const out: DecodedRequestV2 = { symbols: [], timeseries: [] };
    const r = new ProtoReader(buf);
    while (!r.done()) {
      const tag = readTag(r);
      if (tag.field === 4) {
        expectWire('symbol', tag, WIRE_LEN);
        out.symbols.push(r.string());
      } else if (tag.field === 5) {
        expectWire('timeseries', tag, WIRE_LEN);
        const e = r.lenEnd();
        out.timeseries.push(decodeSeries(buf, r.pos, e));
        r.pos = e;
      } else r.skip(tag.wire);
    }
    return out;
  });
}

function decodeSeries(buf: Uint8Array, s: number, e: number): DecodedTimeSeriesV2 {
  const ts: DecodedTimeSeriesV2 = { labelsRefs: [], samples: [], histograms: [], exemplars: [], metadata: undefined };
  const r = new ProtoReader(buf, s, e);
  while (!r.done()) {
    const tag = readTag(r);
    switch (tag.field) {
      case 1:
        if (tag.wire === WIRE_VARINT) ts.labelsRefs.push(r.varint64());
        else {
          expectWire('labels_refs', tag, WIRE_LEN);
          const pe = r.lenEnd();
          const pr = new ProtoReader(buf, r.pos, pe);
          while (!pr.done()) ts.labelsRefs.push(pr.varint64());
          r.pos = pe;
        }
        break;
      case 2: {
        expectWire('sample', tag, WIRE_LEN);
        const se = r.lenEnd();
        ts.samples.push(decodeSample(buf, r.pos, se));
        r.pos = se;
        break;
      }
      case 3:
        expectWire('histogram', tag, WIRE_LEN);
        ts.histograms.push(r.bytes());
        break;
      case 4:
        expectWire('exemplar', tag, WIRE_LEN);
        ts.exemplars.push(r.bytes());
        break;
      case 5:
        expectWire('metadata', tag, WIRE_LEN);
        ts.metadata = r.bytes();
        break;
      default:
        r.skip(tag.wire);
    }
  }
  return ts;
}

function decodeSample(buf: Uint8Array, s: number, e: number): DecodedSampleV2 {
  let value = 0;
  let timestamp = 0;
  let startTimestamp = 0;
  const r = new ProtoReader(buf, s, e);
  while (!r.done()) {
    const tag = readTag(r);
    if (tag.field === 1) {
      expectWire('sample value', tag, WIRE_I64);
      value = readDouble(r);
    } else if (tag.field === 2 || tag.field === 3) {
      expectWire('sample timestamp', tag, WIRE_VARINT);
      if (tag.field === 2) timestamp = r.varint64();
      else startTimestamp = r.varint64();
    } else r.skip(tag.wire);
  }
  return { value, timestamp, startTimestamp };
}

export function encodeRequestV2(req: DecodedRequestV2): Uint8Array {
  const w = new ProtoWriter();
  for (const sym of req.symbols) w.stringField(4, sym, true);
  for (const ts of req.timeseries) {
    const tw = new ProtoWriter();
    tw.packedField(1, ts.labelsRefs);
    for (const smp of ts.samples) {
      const sw = new ProtoWriter();
      sw.varintField(2, smp.timestamp);
      sw.varintField(3, smp.startTimestamp);
      const head = doubleField(smp.value);
      const rest = sw.finish();
      const both = new Uint8Array(head.length + rest.length);
      both.set(head);
      both.set(rest, head.length);
      tw.bytesField(2, both);
    }
    for (const h of ts.histograms) tw.bytesField(3, h);
    for (const x of ts.exemplars) tw.bytesField(4, x);
    if (ts.metadata) tw.bytesField(5, ts.metadata);
    w.bytesField(5, tw.finish());
  }
  return w.finish();
}

export function dropLabelV2ByDecode(buf: Uint8Array, name: string): Uint8Array {
  const req = decodeRequestV2(buf);
  for (const ts of req.timeseries) {
    const kept: number[] = [];
    for (let i = 0; i + 1 < ts.labelsRefs.length; i += 2) {
      if (req.symbols[ts.labelsRefs[i]!] !== name) kept.push(ts.labelsRefs[i]!, ts.labelsRefs[i + 1]!);
    }
    ts.labelsRefs = kept;
  }
  return encodeRequestV2(req);
}
