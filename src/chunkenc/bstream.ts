/**
 * Bit streams as Prometheus' tsdb/chunkenc bstream: bits are packed most-significant first.
 * Pure, no I/O. Reads past the end throw `ChunkDecodeError` instead of returning garbage.
 */

export class ChunkDecodeError extends Error {
  override name = 'ChunkDecodeError';
}

/** Sequential bit reader over `buf[start, end)`. Reads of up to 32 bits at a time. */
export class BitReader {
  private readonly buf: Uint8Array;
  /** Next bit to read, counted from buf[0]'s most significant bit. */
  pos: number;
  private readonly endBit: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start * 8;
    this.endBit = end * 8;
  }

  remainingBits(): number {
    return this.endBit - this.pos;
  }

  readBit(): number {
    const pos = this.pos;
    if (pos >= this.endBit) throw new ChunkDecodeError('unexpected end of chunk data');
    this.pos = pos + 1;
    return (this.buf[pos >>> 3]! >>> (7 - (pos & 7))) & 1;
  }

  /** Reads n bits (1 <= n <= 32) as an unsigned number. */
  readBits(n: number): number {
    const pos = this.pos;
    if (pos + n > this.endBit) throw new ChunkDecodeError('unexpected end of chunk data');
    this.pos = pos + n;
    const buf = this.buf;
    const i = pos >>> 3;
    const off = pos & 7;
    if (off + n <= 32 && i + 4 <= buf.length) {
      // All bits inside one big-endian 32-bit window.
      const w = ((buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!) << off;
      return w >>> (32 - n);
    }
    // Slow path: near the end of the buffer or straddling 5 bytes.
    let v = 0;
    let p = pos;
    let left = n;
    while (left > 0) {
      const b = buf[p >>> 3]!;
      const o = p & 7;
      const take = Math.min(8 - o, left);
      const bits = (b >>> (8 - o - take)) & ((1 << take) - 1);
      v = v * (1 << take) + bits;
      p += take;
      left -= take;
    }
    return v;
  }

  /** Reads a whole byte (need not be aligned). */
  readByte(): number {
    return this.readBits(8);
  }

  /**
   * Go's binary.ReadUvarint into a 64-bit value returned as [hi, lo] words in `out`.
   * More than 10 bytes, or a 10th byte > 1, is an overflow error like Go's.
   */
  readUvarint64(out: Uint32Array): void {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      const b = this.readByte();
      const v = b & 0x7f;
      const shift = i * 7;
      if (i === 9 && b > 1) throw new ChunkDecodeError('varint overflows 64 bits');
      if (shift < 32) {
        lo |= v << shift;
        if (shift + 7 > 32) hi |= v >>> (32 - shift);
      } else {
        hi |= v << (shift - 32);
      }
      if (b < 0x80) {
        out[0] = hi;
        out[1] = lo;
        return;
      }
    }
    throw new ChunkDecodeError('varint overflows 64 bits');
  }
}

/** Growable bit writer (most-significant bit first). */
export class BitWriter {
  private buf: Uint8Array;
  /** Number of bits written. */
  private nbits = 0;

  constructor(initialBytes = 128) {
    this.buf = new Uint8Array(Math.max(8, initialBytes));
  }

  private grow(bytes: number): void {
    if (bytes <= this.buf.length) return;
    const next = new Uint8Array(Math.max(bytes, this.buf.length * 2));
    next.set(this.buf);
    this.buf = next;
  }

  writeBit(bit: number): void {
    this.writeBits(bit & 1, 1);
  }

  /** Writes the low n bits of v (0 <= n <= 32). */
  writeBits(v: number, n: number): void {
    if (n === 0) return;
    this.grow(((this.nbits + n + 7) >>> 3) + 1);
    let left = n;
    const val = n === 32 ? v >>> 0 : (v & ((1 << n) - 1)) >>> 0;
    while (left > 0) {
      const p = this.nbits;
      const o = p & 7;
      const take = Math.min(8 - o, left);
      const bits = Math.floor(val / 2 ** (left - take)) & ((1 << take) - 1);
      this.buf[p >>> 3]! |= bits << (8 - o - take);
      this.nbits = p + take;
      left -= take;
    }
  }

  /** Writes the low n bits (0..64) of the 64-bit value hi:lo. */
  writeBits64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.writeBits(hi, n - 32);
      this.writeBits(lo, 32);
    } else {
      this.writeBits(lo, n);
    }
  }

  writeByte(b: number): void {
    this.writeBits(b & 0xff, 8);
  }

  /** Go's binary.PutUvarint of the 64-bit value hi:lo. */
  writeUvarint64(hi: number, lo: number): void {
    hi >>>= 0;
    lo >>>= 0;
    for (;;) {
      const b = lo & 0x7f;
      // Shift the 64-bit value right by 7.
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
      if (hi === 0 && lo === 0) {
        this.writeByte(b);
        return;
      }
      this.writeByte(b | 0x80);
    }
  }

  bitLength(): number {
    return this.nbits;
  }

  /** The bytes written so far (a copy, trailing bits of the last byte zero). */
  bytes(): Uint8Array {
    return this.buf.slice(0, (this.nbits + 7) >>> 3);
  }
}

/** Splits a safe integer into its two's-complement 64-bit words. */
export function int64Words(x: number): [hi: number, lo: number] {
  const lo = ((x % 4294967296) + 4294967296) % 4294967296;
  const hi = Math.floor(x / 4294967296) | 0;
  return [hi >>> 0, lo >>> 0];
}

/** Interprets a 64-bit two's-complement value as a number (exact within ±2^53). */
export function wordsToInt64(hi: number, lo: number): number {
  return (hi | 0) * 4294967296 + (lo >>> 0);
}
