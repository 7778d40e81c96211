/**
 * Prometheus' XOR chunk encoding (tsdb/chunkenc/xor.go), bit-exact in both directions.
 *
 * Layout: 2-byte big-endian sample count, then a bit stream:
 *   sample 0: zigzag varint timestamp, 64 raw value bits;
 *   sample 1: uvarint timestamp delta, XOR value;
 *   sample n: delta-of-delta in buckets ('0' | '10'+14 | '110'+17 | '1110'+20 | '1111'+64 bits),
 *             XOR value ('0' same | '10' reuse leading/trailing | '11' + 5-bit leading + 6-bit
 *             significant-bit count (0 means 64) + the significant bits).
 * Values travel as two 32-bit words so NaN payloads (the staleness marker) survive.
 * Pure, no I/O; malformed input throws ChunkDecodeError.
 */
import { STALE_NAN_HI, STALE_NAN_LO, type Samples } from '../model/samples.js';
import { BitWriter, ChunkDecodeError, int64Words, wordsToInt64 } from './bstream.js';
import { SampleBuffer, type SampleSink } from './buffer.js';

export { ChunkDecodeError } from './bstream.js';
export { SampleBuffer, type SampleSink } from './buffer.js';
export { SampleArena } from './arena.js';

/** Largest sample count the 16-bit header can hold. */
export const MAX_XOR_SAMPLES = 0xffff;

function checkTimestamp(t: number): number {
  if (!Number.isSafeInteger(t)) throw new ChunkDecodeError(`chunk timestamp ${t} outside the exact integer range`);
  return t;
}

/** Number of samples the chunk says it holds (its header). */
export function xorChunkNumSamples(data: Uint8Array): number {
  if (data.length < 2) throw new ChunkDecodeError(`XOR chunk too short (${data.length} bytes)`);
  return (data[0]! << 8) | data[1]!;
}

/**
 * The chunk being decoded as big-endian 32-bit words followed by zeros, so that reading the 32 bits
 * at any bit position is two word loads and never leaves the array. (Chunk bytes are not 4-aligned
 * inside a frame: they are copied in with memcpy, then each word is byte-swapped in place.)
 */
let W = new Int32Array(256);
let W8 = new Uint8Array(W.buffer);
/** Zero words after the chunk: a sample reads at most 145 bits past the last bounds check. */
const PAD_WORDS = 8;

/** Copies buf[start, end) into W as big-endian words, zero-padded. */
function loadWords(buf: Uint8Array, start: number, end: number): Int32Array {
  const n = end - start;
  const words = (n + 3) >>> 2;
  if (W.length < words + PAD_WORDS) {
    W = new Int32Array(Math.max(W.length * 2, words + PAD_WORDS));
    W8 = new Uint8Array(W.buffer);
  }
  const w = W;
  // A plain view, not buf.subarray: on a Buffer that would construct a Buffer.
  const whole = n & ~3;
  W8.set(new Uint8Array(buf.buffer, buf.byteOffset + start, whole));
  w.fill(0, whole >>> 2, words + PAD_WORDS);
  for (let i = whole; i < n; i++) W8[i] = buf[start + i]!;
  for (let i = 0; i < words; i++) {
    const x = w[i]!;
    w[i] = (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
  }
  return w;
}

/** The 32 bits starting at bit `pos` (most significant first), as an int32. */
function peek(w: Int32Array, pos: number): number {
  const i = pos >>> 5;
  const o = pos & 31;
  // (x >>> 1) >>> (31 - o) is x >>> (32 - o) that also works for o = 0 (where JS would shift by 0).
  return (w[i]! << o) | ((w[i + 1]! >>> 1) >>> (31 - o));
}

/** Reads a (byte-aligned) uvarint at bit `pos` into varint[0] = hi, [1] = lo; returns the new position. */
const varint = new Uint32Array(2);
function readUvarintAt(w: Int32Array, pos: number): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    const byte = peek(w, pos) >>> 24;
    pos += 8;
    const v = byte & 0x7f;
    const shift = i * 7;
    if (i === 9 && byte > 1) throw new ChunkDecodeError('varint overflows 64 bits');
    if (shift < 32) {
      lo |= v << shift;
      if (shift + 7 > 32) hi |= v >>> (32 - shift);
    } else hi |= v << (shift - 32);
    if (byte < 0x80) {
      varint[0] = hi;
      varint[1] = lo;
      return pos;
    }
  }
  throw new ChunkDecodeError('varint overflows 64 bits');
}

function truncated(): never {
  throw new ChunkDecodeError('unexpected end of chunk data');
}

/**
 * Decodes `data` and appends its samples with mint <= t <= maxt to `out`. Decoding stops at the
 * first sample after maxt. Returns the number of samples appended.
 */
export function decodeXorChunkInto(data: Uint8Array, out: SampleSink, mint = -Infinity, maxt = Infinity): number {
  return decodeXorRangeInto(data, 0, data.length, out, mint, maxt);
}

/** decodeXorChunkInto of the chunk buf[start, end), without a subarray. */
export function decodeXorRangeInto(
  buf: Uint8Array,
  start: number,
  end: number,
  out: SampleSink,
  mint = -Infinity,
  maxt = Infinity,
  /** When given: receives in `bit` where sample `index` ends (bits from the chunk's start). */
  mark: { readonly index: number; bit: number } | null = null,
): number {
  if (end - start < 2) throw new ChunkDecodeError(`XOR chunk too short (${end - start} bytes)`);
  const total = (buf[start]! << 8) | buf[start + 1]!;
  if (total === 0) return 0;
  out.reserve(total);
  const w = loadWords(buf, start, end);
  const endBit = (end - start) * 8;

  const ts = out.timestamps;
  const words = out.words;
  let len = out.length;
  const first = len;
  let last = out.lastTimestamp();
  let unordered = false;

  // Sample 0: zigzag varint timestamp, raw value.
  let pos = readUvarintAt(w, 16);
  let t: number;
  {
    const uh = varint[0]!;
    const ul = varint[1]!;
    let sh = uh >>> 1;
    let sl = ((ul >>> 1) | (uh << 31)) >>> 0;
    if (ul & 1) {
      sh = ~sh >>> 0;
      sl = ~sl >>> 0;
    }
    t = checkTimestamp(wordsToInt64(sh, sl));
  }
  let vhi = peek(w, pos) >>> 0;
  let vlo = peek(w, pos + 32) >>> 0;
  pos += 64;
  if (pos > endBit) truncated();
  if (mark !== null && mark.index === 0) mark.bit = pos;
  let tDelta = 0;
  // Split of the significant value bits between the high and low words (initially 64 bits, as
  // Go's iterator starts with leading = trailing = 0): nh bits XORed into the high word at shift
  // shHi, then nl bits into the low word at shift shLo.
  let nh = 32;
  let shHi = 0;
  let nl = 32;
  let shLo = 0;

  for (let i = 0; ; ) {
    // Emit sample i.
    if (t >= mint) {
      if (t > maxt) break;
      if (t <= last) unordered = true;
      ts[len] = t;
      words[2 * len] = vlo;
      words[2 * len + 1] = vhi;
      if (vhi === STALE_NAN_HI && vlo === STALE_NAN_LO) out.markStale(len);
      len++;
      last = t;
    }
    if (++i === total) break;

    // Timestamp of sample i.
    if (i === 1) {
      pos = readUvarintAt(w, pos);
      tDelta = wordsToInt64(varint[0]!, varint[1]!);
      t = checkTimestamp(t + tDelta);
    } else {
      const x = peek(w, pos);
      if (x >= 0) {
        pos += 1; // '0': same delta
      } else if ((x & 0x40000000) === 0) {
        let d = (x >>> 16) & 0x3fff; // '10' + 14 bits in [-8191, 8192]
        if (d > 8192) d -= 16384;
        tDelta += d;
        pos += 16;
      } else if ((x & 0x20000000) === 0) {
        let d = (x >>> 12) & 0x1ffff; // '110' + 17 bits
        if (d > 65536) d -= 131072;
        tDelta += d;
        pos += 20;
      } else if ((x & 0x10000000) === 0) {
        let d = (x >>> 8) & 0xfffff; // '1110' + 20 bits
        if (d > 524288) d -= 1048576;
        tDelta += d;
        pos += 24;
      } else {
        const hi = peek(w, pos + 4);
        const lo = peek(w, pos + 36);
        pos += 68;
        tDelta = checkTimestamp(tDelta + wordsToInt64(hi, lo));
      }
      t += tDelta;
      if (tDelta > 0x100000 || tDelta < -0x100000) t = checkTimestamp(t);
    }

    // Value of sample i.
    const x = peek(w, pos);
    if (x >= 0) {
      pos += 1; // '0': same value
    } else {
      if ((x & 0x40000000) === 0) {
        pos += 2; // '10': reuse leading/trailing
      } else {
        const leading = (x >>> 25) & 31;
        let mbits = (x >>> 19) & 63;
        pos += 13;
        if (mbits === 0) mbits = 64;
        if (leading + mbits > 64) {
          throw new ChunkDecodeError(`corrupt XOR chunk: ${leading} leading zeros + ${mbits} significant bits > 64`);
        }
        const trailing = 64 - leading - mbits;
        const p1 = 63 - trailing; // last significant bit, counted from the MSB
        if (p1 <= 31) {
          nh = mbits;
          shHi = 31 - p1;
          nl = 0;
        } else {
          nh = 32 - leading;
          shHi = 0;
          nl = p1 - 31;
          shLo = trailing;
        }
      }
      vhi = (vhi ^ ((peek(w, pos) >>> (32 - nh)) << shHi)) >>> 0;
      pos += nh;
      if (nl !== 0) {
        vlo = (vlo ^ ((peek(w, pos) >>> (32 - nl)) << shLo)) >>> 0;
        pos += nl;
      }
    }
    if (pos > endBit) truncated();
    if (mark !== null && mark.index === i) mark.bit = pos;
  }

  out.length = len;
  if (unordered) out.unordered = true;
  return len - first;
}

/** Decodes one chunk into fresh Samples (tests and one-offs; prefer decodeXorChunkInto). */
/**
 * The chunk of the first `k` samples of `data` (k <= its count), without re-encoding: the bits up
 * to where sample k-1 ends, the header count set to k, the rest of the last byte zero. `endBit` is
 * that position, as decodeXorRangeInto's `mark` gives it.
 */
export function xorChunkPrefix(data: Uint8Array, k: number, endBit: number): Uint8Array {
  const bytes = (endBit + 7) >>> 3;
  const out = data.slice(0, bytes);
  out[0] = k >>> 8;
  out[1] = k & 0xff;
  const used = endBit & 7;
  if (used !== 0) out[bytes - 1]! &= (0xff << (8 - used)) & 0xff;
  return out;
}

export function decodeXorChunk(data: Uint8Array): Samples {
  const buf = new SampleBuffer(Math.max(1, xorChunkNumSamples(data)));
  decodeXorChunkInto(data, buf);
  return buf.finish();
}

/**
 * Encodes samples exactly as Prometheus' xorAppender would, byte for byte: including the empty byte
 * Go's bstream leaves after a chunk whose last write is a whole byte ending on a byte boundary (see
 * bstream.ts; decodeXorChunkInto takes chunks with or without it). Timestamps must be safe integers (any
 * order is encodable, as in Go). `stale[i]` forces the staleness-marker NaN; otherwise the bits of
 * values[i] are written as they are (pass a Float64Array to keep NaN payloads).
 */
export function encodeXorChunk(
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
  stale: ArrayLike<number> | null = null,
): Uint8Array {
  const n = timestamps.length;
  if (values.length !== n) throw new RangeError(`encodeXorChunk: ${n} timestamps but ${values.length} values`);
  if (n > MAX_XOR_SAMPLES) throw new RangeError(`encodeXorChunk: ${n} samples exceed ${MAX_XOR_SAMPLES}`);
  const vs = values instanceof Float64Array ? values : Float64Array.from(values);
  // Go's NewXORChunk: the 2-byte header, before any bstream write.
  if (n === 0) return new Uint8Array(2);
  const vw = new Uint32Array(vs.buffer, vs.byteOffset, n * 2);
  const w = new BitWriter(16 + n * 3);
  w.writeBits(n, 16);

  let prevT = 0;
  let tDelta = 0;
  let phi = 0;
  let plo = 0;
  let leading = 0xff;
  let trailing = 0;
  for (let i = 0; i < n; i++) {
    const t = timestamps[i]!;
    if (!Number.isSafeInteger(t)) throw new RangeError(`encodeXorChunk: timestamp ${t} is not a safe integer`);
    let hi = vw[2 * i + 1]!;
    let lo = vw[2 * i]!;
    if (stale && stale[i]) {
      hi = STALE_NAN_HI;
      lo = STALE_NAN_LO;
    }
    if (i === 0) {
      // Zigzag varint: (t << 1) ^ (t >> 63).
      const [th, tl] = int64Words(t);
      let zh = ((th << 1) | (tl >>> 31)) >>> 0;
      let zl = (tl << 1) >>> 0;
      if (th & 0x80000000) {
        zh = ~zh >>> 0;
        zl = ~zl >>> 0;
      }
      w.writeUvarint64(zh, zl);
      w.writeBits(hi, 32);
      w.writeBits(lo, 32);
    } else {
      const delta = t - prevT;
      if (i === 1) {
        const [dh, dl] = int64Words(delta);
        w.writeUvarint64(dh, dl);
      } else {
        const dod = delta - tDelta;
        if (dod === 0) {
          w.writeBit(0);
        } else if (dod >= -8191 && dod <= 8192) {
          w.writeBits(0b10, 2);
          w.writeBits(dod & 0x3fff, 14);
        } else if (dod >= -65535 && dod <= 65536) {
          w.writeBits(0b110, 3);
          w.writeBits(dod & 0x1ffff, 17);
        } else if (dod >= -524287 && dod <= 524288) {
          w.writeBits(0b1110, 4);
          w.writeBits(dod & 0xfffff, 20);
        } else {
          w.writeBits(0b1111, 4);
          const [dh, dl] = int64Words(dod);
          w.writeBits(dh, 32);
          w.writeBits(dl, 32);
        }
      }
      tDelta = delta;

      // XOR value.
      const dhi = (hi ^ phi) >>> 0;
      const dlo = (lo ^ plo) >>> 0;
      if (dhi === 0 && dlo === 0) {
        w.writeBit(0);
      } else {
        w.writeBit(1);
        let lead = dhi !== 0 ? Math.clz32(dhi) : 32 + Math.clz32(dlo);
        const trail = dlo !== 0 ? ctz32(dlo) : 32 + ctz32(dhi);
        if (lead >= 32) lead = 31;
        if (leading !== 0xff && lead >= leading && trail >= trailing) {
          w.writeBit(0);
        } else {
          leading = lead;
          trailing = trail;
          w.writeBit(1);
          w.writeBits(leading, 5);
          w.writeBits((64 - leading - trailing) & 63, 6);
        }
        writeSignificant(w, dhi, dlo, leading, trailing);
      }
    }
    prevT = t;
    phi = hi;
    plo = lo;
  }
  return w.bytes();
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * Writes bits [leading, 63-trailing] (counted from the MSB) of the 64-bit value dhi:dlo, as Go's one
 * writeBits(delta>>trailing, 64-leading-trailing): one call, so the byte layout (see bstream.ts)
 * depends on that total bit count.
 */
function writeSignificant(w: BitWriter, dhi: number, dlo: number, leading: number, trailing: number): void {
  const n = 64 - leading - trailing;
  if (trailing >= 32) w.writeBits(dhi >>> (trailing - 32), n);
  else if (trailing === 0) w.writeBits64(dhi, dlo, n);
  else w.writeBits64(dhi >>> trailing, ((dlo >>> trailing) | (dhi << (32 - trailing))) >>> 0, n);
}
