import { describe, expect, it } from 'vitest';
import { RemoteWriteDecodeError } from '../../src/ingest/remote-write/errors.js';
import { decodeWriteRequest } from '../../src/ingest/remote-write/v1-reference.js';
import { dropLabel, dropLabelByDecode, inspectWriteRequest, scanWriteRequest } from '../../src/ingest/remote-write/v1.js';
import { encodeBody } from '../../src/ingest/remote-write/body.js';
import { snappyDecode } from '../../src/wire/snappy.js';
import { ByteEdits, recompressEdited } from '../../src/wire/snappy-edit.js';
import { prng } from '../support/prng.js';

// Test-only protobuf byte builder, independent of src/wire/protowire.ts.
type Bytes = number[];

function varint(x: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(x));
  const out: Bytes = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const tag = (field: number, wire: number): Bytes => varint(field * 8 + wire);
const len = (field: number, payload: Bytes): Bytes => [...tag(field, 2), ...varint(payload.length), ...payload];
const str = (field: number, s: string): Bytes => len(field, [...new TextEncoder().encode(s)]);
const vint = (field: number, x: number | bigint): Bytes => [...tag(field, 0), ...varint(x)];
function dbl(field: number, x: number): Bytes {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return [...tag(field, 1), ...b];
}
const u8 = (...parts: Bytes[]): Uint8Array => Uint8Array.from(parts.flat());

const label = (n: string, v: string): Bytes => len(1, [...str(1, n), ...str(2, v)]);
const sample = (v: number, t: number): Bytes => len(2, [...dbl(1, v), ...vint(2, t)]);
const exemplar = (): Bytes => len(3, [...label('trace_id', 'abc'), ...dbl(2, 1.5), ...vint(3, 1000)]);
const histogram = (): Bytes => len(4, [...vint(1, 5), ...dbl(3, 2.5), ...vint(4, 2), ...vint(15, 1000)]);
const series = (...fields: Bytes[]): Bytes => len(1, fields.flat());
const metadata = (name: string): Bytes => len(3, [...vint(1, 1), ...str(2, name), ...str(4, 'help text'), ...str(5, 'seconds')]);

const request = u8(
  series(label('__name__', 'up'), label('cluster', 'eu'), label('replica', 'r0'), label('zone', 'a'), sample(1, 1000), sample(0, 2000), exemplar()),
  metadata('up'),
  series(label('replica', 'r0'), label('x', 'y'), histogram(), histogram()),
  series(label('a', 'b'), label('replica', 'r0'), sample(Number.NaN, -5)),
  vint(2, 1), // Cortex's Source field: must be carried through
);

describe('inspectWriteRequest', () => {
  it('counts everything and returns the first series labels', () => {
    expect(inspectWriteRequest(request)).toEqual({
      series: 3,
      samples: 3,
      exemplars: 1,
      histograms: 2,
      metadata: 1,
      firstSeriesLabels: [
        { name: '__name__', value: 'up' },
        { name: 'cluster', value: 'eu' },
        { name: 'replica', value: 'r0' },
        { name: 'zone', value: 'a' },
      ],
    });
  });
  it('an empty request has no series', () => {
    expect(inspectWriteRequest(new Uint8Array(0))).toMatchObject({ series: 0, firstSeriesLabels: [] });
  });
});

describe('dropLabel', () => {
  it('removes the label in the middle, at the start and at the end of series', () => {
    const out = dropLabel(request, 'replica');
    const d = decodeWriteRequest(out);
    expect(d.timeseries.map((t) => t.labels.map((l) => l.name))).toEqual([['__name__', 'cluster', 'zone'], ['x'], ['a']]);
    expect(d).toEqual(decodeWriteRequest(dropLabelByDecode(request, 'replica')));
    expect(out.length).toBe(request.length - 3 * label('replica', 'r0').length);
    // Everything but the labels is unchanged, including the Source field at the end.
    expect([...out.subarray(out.length - 2)]).toEqual(vint(2, 1));
    expect(inspectWriteRequest(out)).toMatchObject({ series: 3, samples: 3, exemplars: 1, histograms: 2, metadata: 1 });
  });
  it('removes the first label and the last label', () => {
    expect(decodeWriteRequest(dropLabel(request, '__name__')).timeseries[0]!.labels[0]!.name).toBe('cluster');
    expect(decodeWriteRequest(dropLabel(request, 'zone')).timeseries[0]!.labels.map((l) => l.name)).toEqual(['__name__', 'cluster', 'replica']);
  });
  it('returns the same buffer when no series has the label', () => {
    expect(dropLabel(request, 'nope')).toBe(request);
    expect(dropLabel(request, 'trace_id')).toBe(request); // exemplar labels are not series labels
  });
  it('recomputes a length prefix that shrinks from two bytes to one', () => {
    const long = 'v'.repeat(120);
    const buf = u8(series(label('a', 'b'), label('replica', long)));
    const out = dropLabel(buf, 'replica');
    expect(out).toEqual(u8(series(label('a', 'b'))));
  });
});

describe('malformed input', () => {
  const bad: [string, Uint8Array][] = [
    ['truncated varint', u8([0x0a, 0x80])],
    ['length past the end', u8([0x0a, 0x05, 0x01])],
    ['series as a varint', u8(vint(1, 3))],
    ['label as a fixed64', u8(series(dbl(1, 1)))],
    ['label name as a varint', u8(series(len(1, vint(1, 7))))],
    ['tag 0', u8([0x00])],
    ['group wire type', u8([0x0b])],
    ['label length past its series', u8(len(1, [0x0a, 0x09, 0x0a]))],
    ['metadata as a varint', u8(vint(3, 1))],
  ];
  for (const [what, buf] of bad) {
    it(what, () => {
      expect(() => inspectWriteRequest(buf)).toThrow(RemoteWriteDecodeError);
      expect(() => dropLabel(buf, 'replica')).toThrow(RemoteWriteDecodeError);
      expect(() => dropLabelByDecode(buf, 'replica')).toThrow(RemoteWriteDecodeError);
    });
  }
  it('names the damaged series', () => {
    const buf = u8(series(label('a', 'b')), series([0x0a, 0x80]));
    expect(() => inspectWriteRequest(buf)).toThrow(/timeseries\[1\]/);
  });
  it('every truncation of a valid request fails cleanly or decodes', () => {
    for (let n = 0; n < request.length; n++) {
      const cut = request.subarray(0, n);
      try {
        inspectWriteRequest(cut);
        dropLabel(cut, 'replica');
      } catch (err) {
        expect(err).toBeInstanceOf(RemoteWriteDecodeError);
      }
    }
  });
});

describe('fuzz: dropLabel agrees with dropLabelByDecode', () => {
  it('1000 random requests', () => {
    const rnd = prng(20240611);
    const int = (n: number) => Math.floor(rnd() * n);
    const names = ['__name__', 'cluster', 'replica', 'job', 'instance', 'é', ''];
    for (let iter = 0; iter < 1000; iter++) {
      const fields: Bytes[] = [];
      const nSeries = int(6);
      for (let s = 0; s < nSeries; s++) {
        const parts: Bytes[] = [];
        const kinds = Array.from({ length: int(6) }, () => int(10));
        // Label names in sorted order (the spec), repeats included, fields of other kinds between them.
        const labelNames = kinds.filter((w) => w < 5).map(() => names[int(names.length)]!).sort();
        for (const which of kinds) {
          if (which < 5) parts.push(label(labelNames.shift()!, 'v'.repeat(int(200))));
          else if (which < 8) parts.push(sample(rnd() * 100, int(2e12) - 1e12));
          else if (which < 9) parts.push(exemplar());
          else parts.push(histogram());
        }
        fields.push(series(...parts));
        if (int(4) === 0) fields.push(metadata('m' + iter));
      }
      const buf = u8(...fields);
      const drop = names[int(names.length)]!;
      const got = dropLabel(buf, drop);
      expect(decodeWriteRequest(got)).toEqual(decodeWriteRequest(dropLabelByDecode(buf, drop)));
      const before = inspectWriteRequest(buf);
      const after = inspectWriteRequest(got);
      expect({ ...after, firstSeriesLabels: [] }).toEqual({ ...before, firstSeriesLabels: [] });
      // The receiver's path: removal in place on the decoded body, then the body rebuilt from the
      // sender's snappy elements; it must decode to exactly the same bytes.
      const body = encodeBody(buf);
      const decoded = snappyDecode(body, buf.length);
      const edits = new ByteEdits();
      const { length } = scanWriteRequest(decoded, new TextEncoder().encode(drop), edits);
      expect(Buffer.from(decoded.subarray(0, length)).equals(Buffer.from(got))).toBe(true);
      if (length !== buf.length) expect(Buffer.from(snappyDecode(recompressEdited(body, decoded.subarray(0, length), edits), length)).equals(Buffer.from(got))).toBe(true);
    }
  });
});
