/**
 * Minimal protobuf wire-format reader and writer for the remote read messages. Hand-written so the
 * hot response path decodes straight from the frame bytes without message objects. Pure, no I/O.
 */

export class ProtoDecodeError extends Error {
  override name = 'ProtoDecodeError';
}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Cursor over buf[pos, end). Fields are read by the caller in a loop over `tag()`. */
export class ProtoReader {
  buf: Uint8Array;
  pos: number;
  end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a varint that must fit in 2^53 (tags, lengths, enums, bools, non-negative int64). */
  uvarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let b = pos < this.end ? buf[pos++]! : -1;
    if (b >= 0 && b < 0x80) {
      this.pos = pos;
      return b;
    }
    this.pos = pos - 1;
    return this.varint64();
  }

  /** Reads any varint as a signed int64 (two's complement), exact within ±2^53. */
  varint64(): number {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw new ProtoDecodeError('truncated varint');
      const b = buf[pos++]!;
      const v = b & 0x7f;
      const shift = i * 7;
      if (shift < 28) lo |= v << shift;
      else if (shift === 28) {
        lo |= v << 28;
        hi |= v >>> 4;
      } else hi |= v << (shift - 32);
      if (b < 0x80) {
        this.pos = pos;
        return (hi | 0) * 4294967296 + (lo >>> 0);
      }
    }
    throw new ProtoDecodeError('varint longer than 10 bytes');
  }

  /** Field tag: (field number << 3) | wire type. 0 is never valid. */
  tag(): number {
    const t = this.uvarint();
    if (t === 0) throw new ProtoDecodeError('invalid field tag 0');
    return t;
  }

  /** Reads a length prefix and returns the end offset of the payload (pos is at its start). */
  lenEnd(): number {
    const n = this.uvarint();
    const e = this.pos + n;
    if (n < 0 || e > this.end) throw new ProtoDecodeError(`length ${n} runs past the end of the message`);
    return e;
  }

  bytes(): Uint8Array {
    const e = this.lenEnd();
    const out = this.buf.subarray(this.pos, e);
    this.pos = e;
    return out;
  }

  string(): string {
    const e = this.lenEnd();
    const s = utf8(this.buf, this.pos, e);
    this.pos = e;
    return s;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.pos = this.lenEnd();
        return;
      case WIRE_I32:
        this.advance(4);
        return;
      default:
        throw new ProtoDecodeError(`unsupported wire type ${wireType}`);
    }
  }

  advance(n: number): void {
    if (this.pos + n > this.end) throw new ProtoDecodeError('truncated fixed-width field');
    this.pos += n;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 decode of buf[s, e); short ASCII strings (label names and values) skip TextDecoder. */
export function utf8(buf: Uint8Array, s: number, e: number): string {
  if (e - s <= 24) {
    let out = '';
    for (let i = s; i < e; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return decoder.decode(buf.subarray(s, e));
      out += String.fromCharCode(c);
    }
    return out;
  }
  return decoder.decode(buf.subarray(s, e));
}

const encoder = new TextEncoder();

/** Growable protobuf writer. Nested messages are written to a sub-writer and embedded. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.len + n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private rawByte(b: number): void {
    this.grow(1);
    this.buf[this.len++] = b;
  }

  /** Varint of a non-negative safe integer, or a negative one as 10-byte two's complement. */
  varint(x: number): void {
    if (!Number.isSafeInteger(x)) throw new RangeError(`protobuf varint: ${x} is not a safe integer`);
    if (x >= 0) {
      while (x >= 0x80) {
        this.rawByte((x % 0x80) | 0x80);
        x = Math.floor(x / 0x80);
      }
      this.rawByte(x);
      return;
    }
    let lo = (((x % 4294967296) + 4294967296) % 4294967296) >>> 0;
    let hi = Math.floor(x / 4294967296) >>> 0;
    for (let i = 0; i < 9; i++) {
      this.rawByte((lo & 0x7f) | 0x80);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.rawByte(lo & 0x7f);
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** Varint field, omitted when 0 (proto3 default). */
  varintField(field: number, x: number): void {
    if (x === 0) return;
    this.tag(field, WIRE_VARINT);
    this.varint(x);
  }

  bytesField(field: number, b: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(b.length);
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** String field, omitted when empty unless `always`. */
  stringField(field: number, s: string, always = false): void {
    if (s === '' && !always) return;
    this.bytesField(field, encoder.encode(s));
  }

  /** Packed repeated varints. */
  packedField(field: number, xs: readonly number[]): void {
    if (xs.length === 0) return;
    const w = new ProtoWriter();
    for (const x of xs) w.varint(x);
    this.bytesField(field, w.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
