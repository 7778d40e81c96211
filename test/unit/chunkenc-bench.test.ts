/**
 * Decoder throughput. Skipped unless BENCH=1 (timings on a shared 2-core machine are noisy):
 *   BENCH=1 npx vitest run test/unit/chunkenc-bench.test.ts
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { SampleArena, SampleBuffer, decodeXorChunkInto, encodeXorChunk } from '../../src/chunkenc/xor.js';
import { crc32c } from '../../src/wire/crc32c.js';
import { encodeFrame, FrameDecoder } from '../../src/wire/framing.js';
import { SeriesCollector } from '../../src/store/prometheus/messages.js';

function makeChunks(kind: 'counter' | 'gauge', n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let c = 0; c < n; c++) {
    const ts: number[] = [];
    const vs: number[] = [];
    let t = 1_700_000_000_000 + c * 1_800_000;
    let v = 1000;
    for (let i = 0; i < 120; i++) {
      t += 15000 + (rnd() < 0.2 ? Math.floor(rnd() * 20) - 10 : 0);
      v = kind === 'counter' ? v + Math.floor(rnd() * 50) : rnd() * 100;
      ts.push(t);
      vs.push(v);
    }
    out.push(encodeXorChunk(ts, vs));
  }
  return out;
}

function bestOf(runs: number, f: () => void): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    f();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe.skipIf(!process.env.BENCH)('decoder throughput', () => {
  for (const kind of ['counter', 'gauge'] as const) {
    it(`XOR decode, ${kind} chunks`, () => {
      const chunks = makeChunks(kind, 5000);
      const buf = new SampleBuffer(512);
      const ms = bestOf(7, () => {
        for (let i = 0; i < chunks.length; i += 2) {
          decodeXorChunkInto(chunks[i]!, buf);
          decodeXorChunkInto(chunks[i + 1]!, buf);
          buf.clear();
        }
      });
      const samples = chunks.length * 120;
      const bytes = chunks.reduce((a, c) => a + c.length, 0);
      console.log(`XOR decode ${kind}: ${((samples / ms) * 1000 / 1e6).toFixed(1)} M samples/s (${(bytes / samples).toFixed(2)} bytes/sample)`);
      expect(samples).toBe(600_000);
    });
  }

  it('XOR decode into a SampleArena (the remote read path: exact-size views, no copy)', () => {
    const chunks = makeChunks('counter', 5000);
    let n = 0;
    const ms = bestOf(7, () => {
      const arena = new SampleArena();
      n = 0;
      for (let i = 0; i < chunks.length; i += 2) {
        arena.reserve(240);
        decodeXorChunkInto(chunks[i]!, arena);
        decodeXorChunkInto(chunks[i + 1]!, arena);
        n += arena.take().timestamps.length;
      }
    });
    expect(n).toBe(600_000);
    console.log(`XOR decode counter into SampleArena, 2500 series, fresh output memory included: ${((n / ms) * 1000 / 1e6).toFixed(1)} M samples/s`);
  });

  it('CRC-32C', () => {
    const b = new Uint8Array(8 << 20).map((_, i) => i * 31);
    const ms = bestOf(5, () => crc32c(b));
    console.log(`CRC-32C: ${((b.length / ms) * 1000 / 2 ** 20).toFixed(0)} MiB/s`);
  });

  it('whole streamed response: frames + CRC + protobuf + labels + XOR, 1000 series x 240 samples', () => {
    const root = protobuf.loadSync(['proto/prometheus/remote.proto']);
    const CRR = root.lookupType('prometheus.ChunkedReadResponse');
    const chunks = makeChunks('counter', 2000);
    const frames: Uint8Array[] = [];
    for (let s = 0; s < 1000; s++) {
      const msg = CRR.encode(
        CRR.create({
          chunkedSeries: [
            {
              labels: [
                { name: '__name__', value: 'bench_metric' },
                { name: 'cluster', value: 'bench' },
                { name: 'instance', value: `host-${s}` },
                { name: 'job', value: 'bench' },
                { name: 'replica', value: 'a' },
              ],
              chunks: [0, 1].map((k) => ({ minTimeMs: 0, maxTimeMs: 1e13, type: 1, data: chunks[2 * s + k] })),
            },
          ],
        }),
      ).finish();
      frames.push(encodeFrame(msg));
    }
    const body = Buffer.concat(frames);
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < body.length; i += 65536) pieces.push(body.subarray(i, i + 65536));
    let n = 0;
    const ms = bestOf(7, () => {
      const d = new FrameDecoder();
      const c = new SeriesCollector(-Infinity, Infinity);
      for (const p of pieces) for (const m of d.push(p)) c.addChunkedResponse(m);
      d.end();
      n = c.finish().series.reduce((a, s) => a + s.samples.timestamps.length, 0);
    });
    expect(n).toBe(240_000);
    console.log(`client-side decode of a 1000x240 streamed response (${body.length} bytes): ${ms.toFixed(1)} ms, ${((n / ms) * 1000 / 1e6).toFixed(1)} M samples/s`);
  });
});
