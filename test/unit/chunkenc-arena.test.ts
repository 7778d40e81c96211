import { describe, expect, it } from 'vitest';
import { SampleArena } from '../../src/chunkenc/arena.js';
import { decodeXorChunk, decodeXorChunkInto, decodeXorRangeInto, encodeXorChunk, SampleBuffer } from '../../src/chunkenc/xor.js';

const STALE = (() => {
  const v = new Float64Array(1);
  const w = new Uint32Array(v.buffer);
  w[1] = 0x7ff00000;
  w[0] = 2;
  return v[0]!;
})();

function series(from: number, n: number, stalesAt: number[] = []): { ts: number[]; vs: Float64Array; stale: Uint8Array } {
  const ts: number[] = [];
  const vs = new Float64Array(n);
  const stale = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    ts.push(from + i * 15000);
    vs[i] = from / 1000 + i * 1.5;
  }
  for (const i of stalesAt) {
    vs[i] = STALE;
    stale[i] = 1;
  }
  return { ts, vs, stale };
}

describe('SampleArena', () => {
  it('hands out exact-size views of shared slabs that stay valid when new slabs start', () => {
    const arena = new SampleArena(64, 256);
    const expected: number[][] = [];
    const got: Float64Array[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for (let s = 0; s < 40; s++) {
      const n = 1 + ((s * 37) % 50);
      const { ts, vs } = series(s * 1_000_000, n);
      decodeXorChunkInto(encodeXorChunk(ts, vs), arena);
      const out = arena.take();
      expect(out.timestamps.length).toBe(n);
      expect(out.values.length).toBe(n);
      expect(out.stale).toBeNull();
      buffers.add(out.timestamps.buffer);
      expected.push(ts);
      got.push(out.timestamps);
    }
    // Several slabs, each shared by several series; earlier views were not disturbed.
    expect(buffers.size).toBeGreaterThan(2);
    expect(buffers.size).toBeLessThan(40);
    got.forEach((t, i) => expect(Array.from(t)).toEqual(expected[i]));
  });

  it('moves the open series to the next slab when it outgrows the current one', () => {
    const arena = new SampleArena(16, 1024);
    const a = series(0, 10);
    const b = series(1_000_000, 12, [3]);
    decodeXorChunkInto(encodeXorChunk(a.ts, a.vs), arena);
    const first = arena.take();
    const b1 = encodeXorChunk(b.ts.slice(0, 5), b.vs.slice(0, 5), b.stale.slice(0, 5));
    const b2 = encodeXorChunk(b.ts.slice(5), b.vs.slice(5), b.stale.slice(5));
    decodeXorChunkInto(b1, arena); // fits after the first series
    decodeXorChunkInto(b2, arena); // does not: the open 5 samples move
    const second = arena.take();
    expect(Array.from(first.timestamps)).toEqual(a.ts);
    expect(Array.from(second.timestamps)).toEqual(b.ts);
    expect(Array.from(second.stale!)).toEqual(Array.from(b.stale));
    expect(Object.is(second.values[4], b.vs[4])).toBe(true);
    expect(second.timestamps.buffer).not.toBe(first.timestamps.buffer);
  });

  it('sorts overlapping chunks of a series in place, first appended sample wins', () => {
    const arena = new SampleArena(64);
    decodeXorChunkInto(encodeXorChunk([0, 10], [1, 2]), arena);
    arena.take();
    decodeXorChunkInto(encodeXorChunk([10, 20, 30], [5, 6, 7], [0, 1, 0]), arena);
    decodeXorChunkInto(encodeXorChunk([5, 20, 40], [8, 9, 10]), arena);
    const s = arena.take();
    expect(Array.from(s.timestamps)).toEqual([5, 10, 20, 30, 40]);
    expect(Array.from(s.values).map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual([8, 5, 'NaN', 7, 10]);
    expect(Array.from(s.stale!)).toEqual([0, 0, 1, 0, 0]);
    // The next series starts right after the compacted one and is independent of it.
    decodeXorChunkInto(encodeXorChunk([1, 2], [3, 4]), arena);
    const t = arena.take();
    expect(Array.from(t.timestamps)).toEqual([1, 2]);
    expect(t.stale).toBeNull();
    expect(Array.from(s.timestamps)).toEqual([5, 10, 20, 30, 40]);
  });

  it('drops the stale column when sorting removed the only marker', () => {
    const arena = new SampleArena(64);
    decodeXorChunkInto(encodeXorChunk([10, 20], [1, 2]), arena);
    decodeXorChunkInto(encodeXorChunk([10], [0], [1]), arena);
    const s = arena.take();
    expect(Array.from(s.timestamps)).toEqual([10, 20]);
    expect(s.stale).toBeNull();
  });

  it('an empty series gives empty views', () => {
    const arena = new SampleArena(8);
    decodeXorChunkInto(encodeXorChunk([10, 20], [1, 2]), arena, 100, 200);
    expect(arena.take().timestamps.length).toBe(0);
  });
});

describe('decodeXorRangeInto', () => {
  it('decodes a chunk inside a larger unaligned buffer like decodeXorChunk', () => {
    const { ts, vs, stale } = series(1_700_000_000_000, 117, [5, 60]);
    const chunk = encodeXorChunk(ts, vs, stale);
    for (let off = 0; off < 8; off++) {
      const big = new Uint8Array(chunk.length + off + 13).fill(0xa5); // garbage around it
      big.set(chunk, off);
      const buf = new SampleBuffer(4);
      expect(decodeXorRangeInto(big, off, off + chunk.length, buf)).toBe(117);
      const got = buf.finish();
      const want = decodeXorChunk(chunk);
      expect(Array.from(got.timestamps)).toEqual(Array.from(want.timestamps));
      expect(new Uint8Array(got.values.buffer)).toEqual(new Uint8Array(want.values.buffer));
      expect(Array.from(got.stale!)).toEqual(Array.from(stale));
    }
  });
});
