/**
 * Bit streams as Prometheus' tsdb/chunkenc bstream: bits are packed most-significant first.
 * Pure, no I/O. (The XOR decoder reads with 32-bit peeks of its own, see xor.ts.)
 *
 * Byte layout as Go's: bstream.writeBits(u, n) writes floor(n/8) whole bytes with writeByte, then
 * the n%8 remaining bits with writeBit, and writeByte always appends the stream's next byte (it
 * completes the current one and starts another). So a stream whose last write was a whole byte that
 * ended on a byte boundary carries one more, empty byte (writeBit appends only when it needs room).
 * BitWriter mirrors that; readers must accept the stream with or without that byte.
 */

export class ChunkDecodeError extends Error {
  override name = 'ChunkDecodeError';
}

/** Growable bit writer (most-significant bit first). */
export class BitWriter {
  private buf: Uint8Array;
  /** Number of bits written. */
  private nbits = 0;
  /** Whether Go's bstream would hold an empty byte after the nbits (see the file comment). */
  private spareByte = false;

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

  /** Writes the low n bits of v (0 <= n <= 32), as Go's writeBits(v, n). */
  writeBits(v: number, n: number): void {
    if (n === 0) return;
    this.put(v, n);
    this.spareByte = (n & 7) === 0 && (this.nbits & 7) === 0;
  }

  /** Appends the low n bits of v (integer shifts only: this is the encoder's hot loop). */
  private put(v: number, n: number): void {
    let p = this.nbits;
    const need = ((p + n + 7) >>> 3) + 1;
    if (need > this.buf.length) this.grow(need);
    const buf = this.buf;
    const val = n === 32 ? v >>> 0 : (v & ((1 << n) - 1)) >>> 0;
    let left = n;
    while (left > 0) {
      const room = 8 - (p & 7);
      if (left >= room) {
        left -= room; // < 32: n <= 32 and room >= 1
        buf[p >>> 3]! |= (val >>> left) & ((1 << room) - 1);
        p += room;
      } else {
        buf[p >>> 3]! |= (val & ((1 << left) - 1)) << (room - left);
        p += left;
        left = 0;
      }
    }
    this.nbits = p;
  }

  /** Writes the low n bits (0..64) of the 64-bit value hi:lo, as Go's writeBits(hi:lo, n). */
  writeBits64(hi: number, lo: number, n: number): void {
    if (n === 0) return;
    if (n > 32) {
      this.put(hi, n - 32);
      this.put(lo, 32);
    } else {
      this.put(lo, n);
    }
    this.spareByte = (n & 7) === 0 && (this.nbits & 7) === 0;
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

  /**
   * The bytes written so far as Go's bstream holds them (a copy, trailing bits of the last byte
   * zero, plus the empty byte a final byte-aligned whole-byte write leaves).
   */
  bytes(): Uint8Array {
    return this.buf.slice(0, ((this.nbits + 7) >>> 3) + (this.spareByte ? 1 : 0));
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
