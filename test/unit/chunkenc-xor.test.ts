import { describe, expect, it } from 'vitest';
import { prng as rng } from '../support/prng.js';
import {
  ChunkDecodeError,
  SampleBuffer,
  decodeXorChunk,
  decodeXorChunkInto,
  encodeXorChunk,
  xorChunkNumSamples,
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

describe('XOR chunk codec', () => {
  it('encodes a single sample as Prometheus does', () => {
    // count 1, zigzag varint(1000) = 2000 = d0 0f, then the raw bits of 1.0.
    expect(hex(encodeXorChunk([1000], [1]))).toBe('0001d00f3ff0000000000000');
    const s = decodeXorChunk(fromHex('0001d00f3ff0000000000000'));
    expect(Array.from(s.timestamps)).toEqual([1000]);
    expect(Array.from(s.values)).toEqual([1]);
  });

  it('encodes negative first timestamps with zigzag', () => {
    const c = encodeXorChunk([-1], [0]);
    expect(hex(c)).toBe('0001010000000000000000');
    expect(decodeXorChunk(c).timestamps[0]).toBe(-1);
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

  it('rejects over-long input', () => {
    expect(() => encodeXorChunk(new Array(65536).fill(0).map((_, i) => i), new Float64Array(65536))).toThrow(RangeError);
  });
});
