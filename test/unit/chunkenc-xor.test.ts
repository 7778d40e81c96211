import { describe, expect, it } from 'vitest';
import { prng as rng } from '../support/prng.js';
import {
  ChunkDecodeError,
  SampleBuffer,
  decodeXorChunk,
  decodeXorChunkInto,
  decodeXorRangeInto,
  encodeXorChunk,
  xorChunkNumSamples,
  xorChunkPrefix,
} from '../../src/chunkenc/xor.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));


function bitsOf(v: Float64Array, i: number): string {
  const w = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  return w[2 * i + 1]!.toString(16).padStart(8, '0') + w[2 * i]!.toString(16).padStart(8, '0');
}

function f64FromBits(hi: number, lo: number): number {
  const w = new Uint32Array(2);
  w[0] = lo;
  w[1] = hi;
  return new Float64Array(w.buffer)[0]!;
}

function randomSeries(r: () => number): { ts: number[]; vs: Float64Array; stale: Uint8Array } {
  const n = 1 + Math.floor(r() * 300);
  const ts: number[] = [];
  const vs = new Float64Array(n);
  const stale = new Uint8Array(n);
  const vw = new Uint32Array(vs.buffer);
  let t = Math.floor((r() - 0.5) * 2 ** 45);
  const mode = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    ts.push(t);
    const k = r();
    const step =
      mode === 0 ? 15000 + (k < 0.1 ? Math.floor((r() - 0.5) * 100) : 0) // regular scrape with jitter
      : k < 0.4 ? Math.floor(r() * 20000)
      : k < 0.6 ? Math.floor(r() * 2 ** 20) * (r() < 0.5 ? -1 : 1)
      : k < 0.8 ? Math.floor(r() * 2 ** 36) * (r() < 0.5 ? -1 : 1) // large and negative deltas
      : Math.floor(r() * 600000);
    t += step;
    if (Math.abs(t) > 2 ** 50) t = Math.floor(r() * 2 ** 40);
    const c = r();
    if (c < 0.05) vs[i] = NaN;
    else if (c < 0.1) {
      vw[2 * i + 1] = 0x7ff00000; // staleness marker bits
      vw[2 * i] = 2;
      stale[i] = r() < 0.5 ? 1 : 0;
    } else if (c < 0.13) vs[i] = r() < 0.5 ? Infinity : -Infinity;
    else if (c < 0.16) vs[i] = -0;
    else if (c < 0.2) vs[i] = f64FromBits(0, Math.floor(r() * 2 ** 32)); // denormal
    else if (c < 0.4 && i > 0) vs[i] = vs[i - 1]!; // repeated
    else if (c < 0.5) {
      vw[2 * i + 1] = Math.floor(r() * 2 ** 32); // arbitrary bit patterns, NaN payloads included
      vw[2 * i] = Math.floor(r() * 2 ** 32);
    } else if (c < 0.75) vs[i] = Math.floor(r() * 1000);
    else vs[i] = (r() - 0.5) * 10 ** Math.floor(r() * 30);
  }
  return { ts, vs, stale };
}

/**
 * Prometheus' bstream writer and xorAppender.Append (tsdb/chunkenc/bstream.go, xor.go), ported
 * literally with BigInt: the reference for the byte layout, including the empty byte writeByte leaves
 * after a stream that ends on a byte boundary.
 */
class GoBstream {
  stream: number[] = [0, 0]; // NewXORChunk: the 2-byte header, count 0
  count = 0;
  writeBit(bit: boolean): void {
    if (this.count === 0) {
      this.stream.push(0);
      this.count = 8;
    }
    if (bit) this.stream[this.stream.length - 1]! |= 1 << (this.count - 1);
    this.count--;
  }
  writeByte(byt: number): void {
    if (this.count === 0) {
      this.stream.push(0);
      this.count = 8;
    }
    this.stream[this.stream.length - 1]! |= byt >> (8 - this.count);
    this.stream.push((byt << this.count) & 0xff);
  }
  writeBits(u: bigint, nbits: number): void {
    u = BigInt.asUintN(64, u << BigInt(64 - nbits));
    for (; nbits >= 8; nbits -= 8) {
      this.writeByte(Number(u >> 56n));
      u = BigInt.asUintN(64, u << 8n);
    }
    for (; nbits > 0; nbits--) {
      this.writeBit(u >> 63n === 1n);
      u = BigInt.asUintN(64, u << 1n);
    }
  }
}

/** The chunk bytes, and whether they end in the empty byte (count 8: writeByte ended byte-aligned). */
function goXorChunk(ts: readonly number[], vs: Float64Array): { bytes: Uint8Array; spare: boolean } {
  const b = new GoBstream();
  const bits = new BigUint64Array(vs.buffer, vs.byteOffset, vs.length);
  const uvarint = (x: bigint) => {
    x = BigInt.asUintN(64, x);
    for (; x >= 0x80n; x >>= 7n) b.writeByte(Number(x & 0x7fn) | 0x80);
    b.writeByte(Number(x));
  };
  const clz = (x: bigint) => 64 - x.toString(2).length;
  const ctz = (x: bigint) => x.toString(2).length - 1 - x.toString(2).lastIndexOf('1');
  let t = 0;
  let tDelta = 0;
  let v = 0n;
  let leading = 0xff;
  let trailing = 0;
  const xorWrite = (nv: bigint) => {
    const delta = nv ^ v;
    if (delta === 0n) return b.writeBit(false);
    b.writeBit(true);
    const newLeading = Math.min(clz(delta), 31);
    const newTrailing = ctz(delta);
    if (leading !== 0xff && newLeading >= leading && newTrailing >= trailing) {
      b.writeBit(false);
      return b.writeBits(delta >> BigInt(trailing), 64 - leading - trailing);
    }
    leading = newLeading;
    trailing = newTrailing;
    b.writeBit(true);
    b.writeBits(BigInt(leading), 5);
    const sigbits = 64 - leading - trailing;
    b.writeBits(BigInt(sigbits), 6);
    b.writeBits(delta >> BigInt(trailing), sigbits);
  };
  for (let i = 0; i < ts.length; i++) {
    const nt = ts[i]!;
    let nd = 0;
    if (i === 0) {
      const x = BigInt(nt);
      uvarint(x < 0n ? ~(x << 1n) : x << 1n); // binary.PutVarint
      b.writeBits(bits[i]!, 64);
    } else {
      nd = nt - t;
      if (i === 1) uvarint(BigInt(nd));
      else {
        const dod = nd - tDelta;
        const d = BigInt.asUintN(64, BigInt(dod));
        if (dod === 0) b.writeBit(false);
        else if (dod >= -8191 && dod <= 8192) (b.writeBits(0b10n, 2), b.writeBits(d, 14));
        else if (dod >= -65535 && dod <= 65536) (b.writeBits(0b110n, 3), b.writeBits(d, 17));
        else if (dod >= -524287 && dod <= 524288) (b.writeBits(0b1110n, 4), b.writeBits(d, 20));
        else (b.writeBits(0b1111n, 4), b.writeBits(d, 64));
      }
      xorWrite(bits[i]!);
    }
    t = nt;
    tDelta = nd;
    v = bits[i]!;
  }
  b.stream[0] = ts.length >> 8;
  b.stream[1] = ts.length & 0xff;
  return { bytes: Uint8Array.from(b.stream), spare: b.count === 8 };
}

describe('XOR chunk codec', () => {
  it('encodes a single sample as Prometheus does, with the empty byte after its whole-byte value', () => {
    // count 1, zigzag varint(1000) = 2000 = d0 0f, then the raw bits of 1.0 as 8 whole-byte writes:
    // Go's writeByte has already appended the next byte, so the chunk ends in 00.
    expect(hex(encodeXorChunk([1000], [1]))).toBe('0001d00f3ff000000000000000');
    // The decoder takes the chunk with or without that byte.
    for (const c of ['0001d00f3ff000000000000000', '0001d00f3ff0000000000000']) {
      const s = decodeXorChunk(fromHex(c));
      expect(Array.from(s.timestamps)).toEqual([1000]);
      expect(Array.from(s.values)).toEqual([1]);
    }
  });

  it('encodes negative first timestamps with zigzag', () => {
    const c = encodeXorChunk([-1], [0]);
    expect(hex(c)).toBe('000101000000000000000000');
    expect(decodeXorChunk(c).timestamps[0]).toBe(-1);
  });

  it('adds no byte when the stream ends on a byte boundary after a single-bit write', () => {
    // 16 + 8 + 64 header/t0/v0 bits, 16 (uvarint 15000) + '0', '0' + 24 (new XOR window), then three
    // samples of '0' '0': 136 bits exactly, the last one written by writeBit, which appends nothing.
    const ts = [0, 15000, 30000, 45000, 60000, 75000];
    const vs = [1, 1, 2, 2, 2, 2];
    expect(hex(encodeXorChunk(ts, vs))).toBe('0006003ff000000000000098753097ffc0');
    expect(goXorChunk(ts, Float64Array.from(vs))).toEqual({ bytes: fromHex('0006003ff000000000000098753097ffc0'), spare: false });
    // One sample more ('0' '0' in a new byte) and the chunk is 18 bytes, the last one 00 holding bits.
    expect(hex(encodeXorChunk([...ts, 90000], [...vs, 2]))).toBe('0007003ff000000000000098753097ffc000');
    expect(hex(goXorChunk([...ts, 90000], Float64Array.from([...vs, 2])).bytes)).toBe('0007003ff000000000000098753097ffc000');
    expect(encodeXorChunk([], []).length).toBe(2);
  });

  it('fuzz: byte-identical to a literal port of Prometheus bstream/xorAppender', () => {
    const r = rng(1201);
    let chunks = 0;
    let spare = 0;
    for (let iter = 0; iter < 2000; iter++) {
      const { ts, vs } = randomSeries(r);
      // The whole series and prefixes of it, so that chunks end after every kind of write.
      for (const n of new Set([ts.length, 1, 2, 3, Math.ceil(ts.length / 2)])) {
        if (n > ts.length) continue;
        const want = goXorChunk(ts.slice(0, n), vs.subarray(0, n));
        const got = encodeXorChunk(ts.slice(0, n), vs.subarray(0, n));
        if (hex(got) !== hex(want.bytes)) throw new Error(`iter ${iter}, ${n} samples: ${hex(got)} != ${hex(want.bytes)}`);
        chunks++;
        if (want.spare && n > 1) spare++;
      }
    }
    expect(spare).toBeGreaterThan(100);
    expect(chunks - spare).toBeGreaterThan(1000);
  });

  it('hand-checked multi-sample vector', () => {
    // t: 0, 15000, 30000, 45001 ; v: 1, 1, 2, 2
    const c = encodeXorChunk([0, 15000, 30000, 45001], [1, 1, 2, 2]);
    // sample1: uvarint(15000)=98 75, value same -> '0'; sample2: dod 0 -> '0', value xor 3ff0..^4000.. =
    // 7ff0000000000000: leading 1, trailing 52, sig 11 -> '11' 00001 001011 11111111111;
    // sample3: dod 1 -> '10' 00000000000001, value same '0'.
    const s = decodeXorChunk(c);
    expect(Array.from(s.timestamps)).toEqual([0, 15000, 30000, 45001]);
    expect(Array.from(s.values)).toEqual([1, 1, 2, 2]);
    expect(hex(c.subarray(0, 13))).toBe('0004' + '00' + '3ff0000000000000' + '9875');
    // bits after: 0 | 0 11 00001 001011 11111111111 | 10 00000000000001 0
    const bits = '0' + '0' + '11' + '00001' + '001011' + '11111111111' + '10' + '00000000000001' + '0';
    const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
    let expectHex = '';
    for (let i = 0; i < padded.length; i += 8) expectHex += parseInt(padded.slice(i, i + 8), 2).toString(16).padStart(2, '0');
    expect(hex(c.subarray(13))).toBe(expectHex);
  });

  it('delta-of-delta bucket boundaries round-trip', () => {
    const dods = [0, 1, -1, 8192, -8191, 8193, -8192, 65536, -65535, 65537, -65536, 524288, -524287, 524289, -524288, 2 ** 40, -(2 ** 40)];
    for (const dod of dods) {
      const ts = [1_000_000_000_000, 1_000_000_015_000, 1_000_000_030_000 + dod, 1_000_000_045_000 + 2 * dod];
      const buf = new SampleBuffer();
      decodeXorChunkInto(encodeXorChunk(ts, [1, 2, 3, 4]), buf);
      expect(Array.from(buf.timestamps.subarray(0, buf.length))).toEqual(ts);
    }
  });

  it('keeps staleness markers and NaN payloads bit-exact', () => {
    const vs = new Float64Array(5);
    const w = new Uint32Array(vs.buffer);
    vs[0] = 1;
    w[3] = 0x7ff00000; w[2] = 2; // stale NaN
    w[5] = 0x7ff80000; w[4] = 1; // another NaN payload
    vs[3] = -0;
    vs[4] = Infinity;
    const s = decodeXorChunk(encodeXorChunk([1, 2, 3, 4, 5], vs));
    for (let i = 0; i < 5; i++) expect(bitsOf(s.values, i)).toBe(bitsOf(vs, i));
    expect(Array.from(s.stale!)).toEqual([0, 1, 0, 0, 0]);
    expect(decodeXorChunk(encodeXorChunk([1, 2], [1, 2])).stale).toBeNull();
    // stale flag on input forces marker bits
    const s2 = decodeXorChunk(encodeXorChunk([1, 2], new Float64Array([5, NaN]), [0, 1]));
    expect(bitsOf(s2.values, 1)).toBe('7ff0000000000002');
    expect(s2.stale![1]).toBe(1);
  });

  it('fuzz: 10k random round trips', () => {
    const r = rng(42);
    for (let iter = 0; iter < 10_000; iter++) {
      const { ts, vs, stale } = randomSeries(r);
      const chunk = encodeXorChunk(ts, vs);
      expect(xorChunkNumSamples(chunk)).toBe(ts.length);
      const buf = new SampleBuffer(4);
      decodeXorChunkInto(chunk, buf);
      expect(buf.length).toBe(ts.length);
      for (let i = 0; i < ts.length; i++) {
        if (buf.timestamps[i] !== ts[i]) throw new Error(`iter ${iter} sample ${i}: t ${buf.timestamps[i]} != ${ts[i]}`);
        if (buf.words[2 * i] !== new Uint32Array(vs.buffer)[2 * i] || buf.words[2 * i + 1] !== new Uint32Array(vs.buffer)[2 * i + 1]) {
          throw new Error(`iter ${iter} sample ${i}: value bits ${bitsOf(buf.values, i)} != ${bitsOf(vs, i)}`);
        }
        const isStale = new Uint32Array(vs.buffer)[2 * i + 1] === 0x7ff00000 && new Uint32Array(vs.buffer)[2 * i] === 2;
        if ((buf.stale?.[i] ?? 0) !== (isStale ? 1 : 0)) throw new Error(`iter ${iter} sample ${i}: stale flag`);
      }
      void stale;
    }
  });

  it('fuzz: truncated and corrupted chunks throw ChunkDecodeError or decode, never hang', () => {
    const r = rng(7);
    let threw = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const { ts, vs } = randomSeries(r);
      const chunk = encodeXorChunk(ts, vs);
      const bad = r() < 0.5 ? chunk.slice(0, Math.floor(r() * chunk.length)) : chunk.slice();
      if (bad.length === chunk.length) {
        const flips = 1 + Math.floor(r() * 8);
        for (let k = 0; k < flips; k++) bad[Math.floor(r() * bad.length)] ^= 1 << Math.floor(r() * 8);
      }
      try {
        const buf = new SampleBuffer(1);
        decodeXorChunkInto(bad, buf);
        expect(buf.length).toBeLessThanOrEqual(65535);
      } catch (e) {
        expect(e).toBeInstanceOf(ChunkDecodeError);
        expect((e as Error).message).toMatch(/chunk|varint/);
        threw++;
      }
    }
    expect(threw).toBeGreaterThan(500);
    expect(() => decodeXorChunk(new Uint8Array([0]))).toThrow(ChunkDecodeError);
    expect(() => decodeXorChunk(new Uint8Array([0, 5, 0x80]))).toThrow(/unexpected end/);
    expect(decodeXorChunk(new Uint8Array([0, 0])).timestamps.length).toBe(0);
  });

  it('appends several chunks into one buffer with clipping', () => {
    const buf = new SampleBuffer(2);
    decodeXorChunkInto(encodeXorChunk([10, 20, 30], [1, 2, 3]), buf, 15, 100);
    decodeXorChunkInto(encodeXorChunk([40, 50, 60], [4, 5, 6]), buf, 15, 55);
    const s = buf.finish();
    expect(Array.from(s.timestamps)).toEqual([20, 30, 40, 50]);
    expect(Array.from(s.values)).toEqual([2, 3, 4, 5]);
    expect(buf.length).toBe(0);
  });

  it('overlapping chunks are merged in order, first sample wins on equal timestamps', () => {
    const buf = new SampleBuffer();
    decodeXorChunkInto(encodeXorChunk([10, 20, 30], [1, 2, 3]), buf);
    decodeXorChunkInto(encodeXorChunk([15, 20, 40], [9, 9, 4]), buf);
    const s = buf.finish();
    expect(Array.from(s.timestamps)).toEqual([10, 15, 20, 30, 40]);
    expect(Array.from(s.values)).toEqual([1, 9, 2, 3, 4]);
  });

  it('decodes and re-encodes bit-exactly a chunk written by Prometheus 2.42', () => {
    // Captured via remote read (test/integration/prometheus-store.test.ts, PRINT_CHUNK=1):
    // test_metric{instance="i1",job="a"}, 120 samples every 15 s, value i*3 + i%7.
    const real = fromHex(
      '007880b0f4d1bf6800000000000000009875c25c01400db01b585b6836c0b6c1356246923ed0220c40881d0221c4088310223f47cd63fd4110c4111c41103431044f104431044150447104431046a27f6bfabfc80881880883880880a8088188088788088188068088388088188088f88fa8f880881880883880880e80881880887880881881a8188088388088188088069f880480c80481c804e21d51c02d2dc27a146e027ac48de1f45345c43aa368bf41434147720b7106e01696e13d0a370134',
    );
    const s = decodeXorChunk(real);
    expect(s.timestamps.length).toBe(120);
    const t0 = s.timestamps[0]!;
    expect(t0 % 3_600_000).toBe(0);
    for (let i = 0; i < 120; i++) {
      expect(s.timestamps[i]).toBe(t0 + i * 15000);
      expect(s.values[i]).toBe(i * 3 + (i % 7));
    }
    expect(s.stale).toBeNull();
    expect(hex(encodeXorChunk(s.timestamps, s.values))).toBe(hex(real));
  });

  it('cuts a prefix of k samples without re-encoding (bits copied, count rewritten)', () => {
    const rnd = rng(4242);
    for (let round = 0; round < 200; round++) {
      const n = 2 + Math.floor(rnd() * 300);
      const ts: number[] = [];
      const vs: number[] = [];
      let t = 1_600_000_000_000 + Math.floor(rnd() * 1e6);
      for (let i = 0; i < n; i++) {
        t += 1 + Math.floor(rnd() < 0.8 ? 15_000 : rnd() * 1e7);
        ts.push(t);
        vs.push(rnd() < 0.3 ? vs[i - 1] ?? 0 : rnd() < 0.5 ? Math.round(rnd() * 100) : rnd() * 1e6);
      }
      const data = encodeXorChunk(ts, vs);
      const k = 1 + Math.floor(rnd() * n);
      const mark = { index: k - 1, bit: 0 };
      decodeXorRangeInto(data, 0, data.length, new SampleBuffer(n), -Infinity, Infinity, mark);
      const prefix = decodeXorChunk(xorChunkPrefix(data, k, mark.bit));
      expect([...prefix.timestamps]).toEqual(ts.slice(0, k));
      expect([...prefix.values]).toEqual(vs.slice(0, k));
    }
  });

  it('rejects over-long input', () => {
    expect(() => encodeXorChunk(new Array(65536).fill(0).map((_, i) => i), new Float64Array(65536))).toThrow(RangeError);
  });
});
