/**
 * One pass over a remote write 1.0 TimeSeries: checks its structure, counts what it carries and
 * reports each label field's byte ranges. Samples, exemplars and histograms are skipped whole.
 */
import { ProtoReader, WIRE_LEN } from '../../wire/protowire.js';
import { expectWire, readTag } from './wire.js';

export interface SeriesCounts {
  samples: number;
  exemplars: number;
  histograms: number;
}

/** A Label field inside a TimeSeries: [start, end) is tag to payload end; name and value ranges. */
export type LabelVisitor = (start: number, end: number, ns: number, ne: number, vs: number, ve: number) => void;

export const SERIES_LABELS = 1;
const SERIES_SAMPLES = 2;
const SERIES_EXEMPLARS = 3;
const SERIES_HISTOGRAMS = 4;

export function scanSeries(buf: Uint8Array, s: number, e: number, counts: SeriesCounts, onLabel?: LabelVisitor): void {
  const r = new ProtoReader(buf, s, e);
  while (!r.done()) {
    const start = r.pos;
    const tag = readTag(r);
    switch (tag.field) {
      case SERIES_LABELS: {
        expectWire('label', tag, WIRE_LEN);
        const le = r.lenEnd();
        scanLabel(buf, r.pos, le, start, onLabel);
        r.pos = le;
        break;
      }
      case SERIES_SAMPLES:
        expectWire('sample', tag, WIRE_LEN);
        r.pos = r.lenEnd();
        counts.samples++;
        break;
      case SERIES_EXEMPLARS:
        expectWire('exemplar', tag, WIRE_LEN);
        r.pos = r.lenEnd();
        counts.exemplars++;
        break;
      case SERIES_HISTOGRAMS:
        expectWire('histogram', tag, WIRE_LEN);
        r.pos = r.lenEnd();
        counts.histograms++;
        break;
      default:
        r.skip(tag.wire);
    }
  }
}

function scanLabel(buf: Uint8Array, s: number, e: number, fieldStart: number, onLabel?: LabelVisitor): void {
  const r = new ProtoReader(buf, s, e);
  // Absent fields are "" (proto3); a repeated scalar field's last occurrence wins.
  let ns = s;
  let ne = s;
  let vs = s;
  let ve = s;
  while (!r.done()) {
    const tag = readTag(r);
    if (tag.field === 1 || tag.field === 2) {
      expectWire(tag.field === 1 ? 'label name' : 'label value', tag, WIRE_LEN);
      const fe = r.lenEnd();
      if (tag.field === 1) [ns, ne] = [r.pos, fe];
      else [vs, ve] = [r.pos, fe];
      r.pos = fe;
    } else r.skip(tag.wire);
  }
  onLabel?.(fieldStart, e, ns, ne, vs, ve);
}
