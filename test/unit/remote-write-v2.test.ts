import { describe, expect, it } from 'vitest';
import { RemoteWriteDecodeError } from '../../src/ingest/remote-write/errors.js';
import { decodeRequestV2 } from '../../src/ingest/remote-write/v2-reference.js';
import { dropLabelV2, dropLabelV2ByDecode, inspectWriteRequestV2 } from '../../src/ingest/remote-write/v2.js';
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

const SYMBOLS = ['', '__name__', 'up', 'cluster', 'eu', 'replica', 'r0', 'zone', 'a', 'trace_id', 'abc', 'help', 's'];
const sym = (s: string): number => SYMBOLS.indexOf(s);
const symbols = (): Bytes[] => SYMBOLS.map((s) => str(4, s));
const packed = (...names: string[]): Bytes => len(1, names.flatMap((n) => varint(sym(n))));
const unpacked = (...names: string[]): Bytes => names.flatMap((n) => vint(1, sym(n)));
const sample = (v: number, t: number): Bytes => len(2, [...dbl(1, v), ...vint(2, t), ...vint(3, t - 10)]);
const histogram = (): Bytes => len(3, [...vint(1, 5), ...dbl(3, 2.5), ...vint(15, 1000), ...vint(17, 900)]);
const exemplar = (): Bytes => len(4, [...packed('trace_id', 'abc'), ...dbl(2, 1.5), ...vint(3, 1000)]);
const metadata = (): Bytes => len(5, [...vint(1, 1), ...vint(3, sym('help')), ...vint(4, sym('s'))]);
const series = (...fields: Bytes[]): Bytes => len(5, fields.flat());
const names = (buf: Uint8Array): string[][] => {
  const d = decodeRequestV2(buf);
  return d.timeseries.map((t) => t.labelsRefs.map((r) => d.symbols[r]!));
};

const request = u8(
  ...symbols().slice(0, 6),
  series(packed('__name__', 'up', 'cluster', 'eu', 'replica', 'r0', 'zone', 'a'), sample(1, 1000), exemplar(), metadata()),
  ...symbols().slice(6), // symbols may come after the series that use them
  series(unpacked('replica', 'r0', 'zone', 'a'), histogram(), histogram()),
  series(packed('cluster', 'eu'), unpacked('replica', 'r0'), sample(2, 2000), vint(6, 123)), // created_timestamp (rc.3)
);

describe('inspectWriteRequestV2', () => {
  it('counts and resolves the first series labels', () => {
    expect(inspectWriteRequestV2(request)).toEqual({
      symbols: SYMBOLS.length,
      series: 3,
      samples: 2,
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
});

describe('dropLabelV2', () => {
  it('removes the pairs, packed or unpacked, and leaves the symbols alone', () => {
    const out = dropLabelV2(request, 'replica');
    expect(names(out)).toEqual([['__name__', 'up', 'cluster', 'eu', 'zone', 'a'], ['zone', 'a'], ['cluster', 'eu']]);
    expect(decodeRequestV2(out)).toEqual(decodeRequestV2(dropLabelV2ByDecode(request, 'replica')));
    expect(decodeRequestV2(out).symbols).toEqual(SYMBOLS);
    expect(inspectWriteRequestV2(out)).toMatchObject({ series: 3, samples: 2, exemplars: 1, histograms: 2, metadata: 1 });
    // The unknown field 6 is carried through byte for byte.
    expect([...out.subarray(out.length - 2)]).toEqual(vint(6, 123));
  });
  it('removes the first and last pairs', () => {
    expect(names(dropLabelV2(request, '__name__'))[0]).toEqual(['cluster', 'eu', 'replica', 'r0', 'zone', 'a']);
    expect(names(dropLabelV2(request, 'zone'))[1]).toEqual(['replica', 'r0']);
  });
  it('drops a packed field that ends up empty', () => {
    const buf = u8(...symbols(), series(packed('replica', 'r0'), sample(1, 1)));
    expect(dropLabelV2(buf, 'replica')).toEqual(u8(...symbols(), series(sample(1, 1))));
  });
  it('matches on the name only, not on values or exemplar refs', () => {
    expect(dropLabelV2(request, 'r0')).toBe(request);
    expect(dropLabelV2(request, 'trace_id')).toBe(request);
    expect(dropLabelV2(request, 'absent')).toBe(request);
  });
});

describe('malformed input', () => {
  const bad: [string, Uint8Array][] = [
    ['truncated varint', u8([0x2a, 0x80])],
    ['length past the end', u8([0x2a, 0x05, 0x01])],
    ['symbol as a varint', u8(vint(4, 1))],
    ['series as a varint', u8(vint(5, 1))],
    ['labels_refs as a fixed64', u8(...symbols(), series(dbl(1, 1)))],
    ['odd labels_refs', u8(...symbols(), series(packed('replica')))],
    ['ref outside the symbols', u8(str(4, ''), series(len(1, [0, 7])))],
    ['truncated packed varint', u8(...symbols(), series(len(1, [0x80])))],
    ['group wire type', u8([0x2b])],
  ];
  for (const [what, buf] of bad) {
    it(what, () => {
      expect(() => inspectWriteRequestV2(buf)).toThrow(RemoteWriteDecodeError);
      expect(() => dropLabelV2(buf, 'replica')).toThrow(RemoteWriteDecodeError);
    });
  }
  it('every truncation fails cleanly or decodes', () => {
    for (let n = 0; n < request.length; n++) {
      const cut = request.subarray(0, n);
      try {
        inspectWriteRequestV2(cut);
        dropLabelV2(cut, 'replica');
      } catch (err) {
        expect(err).toBeInstanceOf(RemoteWriteDecodeError);
      }
    }
  });
});

describe('fuzz: dropLabelV2 agrees with dropLabelV2ByDecode', () => {
  it('1000 random requests', () => {
    const rnd = prng(7331);
    const int = (n: number) => Math.floor(rnd() * n);
    for (let iter = 0; iter < 1000; iter++) {
      // Duplicated symbols too: several indices may spell the dropped name.
      const syms = ['', ...Array.from({ length: 1 + int(8) }, () => ['replica', 'cluster', 'job', 'é', 'x'.repeat(int(150))][int(5)]!)];
      const fields: Bytes[] = syms.map((s) => str(4, s));
      for (let s = int(6); s > 0; s--) {
        const parts: Bytes[] = [];
        for (let k = int(5); k > 0; k--) {
          const which = int(8);
          const refs = Array.from({ length: 2 * int(4) }, () => int(syms.length));
          if (which < 3) parts.push(len(1, refs.flatMap((r) => varint(r))));
          else if (which < 4) parts.push(refs.flatMap((r) => vint(1, r)));
          else if (which < 6) parts.push(sample(rnd(), int(1e12)));
          else if (which < 7) parts.push(histogram());
          else parts.push(exemplar());
        }
        fields.splice(int(fields.length + 1), 0, series(...parts));
      }
      const buf = u8(...fields);
      const drop = syms[int(syms.length)]!;
      const got = dropLabelV2(buf, drop);
      expect(decodeRequestV2(got)).toEqual(decodeRequestV2(dropLabelV2ByDecode(buf, drop)));
    }
  });
});
