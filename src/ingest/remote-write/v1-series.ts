/**
 * One pass over a remote write 1.0 TimeSeries: checks its structure, counts what it carries and
 * reports each label field's byte ranges. Samples, exemplars and histograms are skipped whole.
 */
import { ProtoReader, WIRE_LEN } from '../../wire/protowire.js';
import { expectWireOf, readTagNumber } from './wire.js';

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
  // One reader for the series and one for its labels, moved along (no allocation per field).
  const r = new ProtoReader(buf, s, e);
  const lr = new ProtoReader(buf, s, s);
  while (r.pos < r.end) {
    const start = r.pos;
    const t = readTagNumber(r);
    switch (t >>> 3) {
      case SERIES_LABELS: {
        expectWireOf('label', t, WIRE_LEN);
        const le = r.lenEnd();
        lr.pos = r.pos;
        lr.end = le;
        scanLabel(lr, start, onLabel);
        r.pos = le;
        break;
      }
      case SERIES_SAMPLES:
        expectWireOf('sample', t, WIRE_LEN);
        r.pos = r.lenEnd();
        counts.samples++;
        break;
      case SERIES_EXEMPLARS:
        expectWireOf('exemplar', t, WIRE_LEN);
        r.pos = r.lenEnd();
        counts.exemplars++;
        break;
      case SERIES_HISTOGRAMS:
        expectWireOf('histogram', t, WIRE_LEN);
        r.pos = r.lenEnd();
        counts.histograms++;
        break;
      default:
        r.skip(t & 7);
    }
  }
}

function scanLabel(r: ProtoReader, fieldStart: number, onLabel?: LabelVisitor): void {
  const s = r.pos;
  const e = r.end;
  // Absent fields are "" (proto3); a repeated scalar field's last occurrence wins.
  let ns = s;
  let ne = s;
  let vs = s;
  let ve = s;
  while (r.pos < e) {
    const t = readTagNumber(r);
    const field = t >>> 3;
    if (field === 1 || field === 2) {
      expectWireOf(field === 1 ? 'label name' : 'label value', t, WIRE_LEN);
      const fe = r.lenEnd();
      if (field === 1) {
        ns = r.pos;
        ne = fe;
      } else {
        vs = r.pos;
        ve = fe;
      }
      r.pos = fe;
    } else r.skip(t & 7);
  }
  onLabel?.(fieldStart, e, ns, ne, vs, ve);
}
