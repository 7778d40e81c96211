/**
 * Remote read streamed-response framing: each frame is
 *   uvarint(len(message)) | CRC-32C(message) as 4 bytes big-endian | message.
 * `FrameDecoder` takes the body as it arrives in arbitrary pieces and yields whole, verified
 * messages; a message inside one piece is a zero-copy view of it. Pure, no I/O.
 */
import { crc32c } from './crc32c.js';

export class FrameError extends Error {
  override name = 'FrameError';
}

/** Prometheus' client default (`chunked_read_limit`). */
export const DEFAULT_MAX_FRAME_BYTES = 50_000_000;

const enum State {
  Header,
  Body,
}

export class FrameDecoder {
  private state = State.Header;
  /** Header bytes collected so far (uvarint + 4 CRC bytes, at most 14). */
  private readonly header = new Uint8Array(14);
  private headerLen = 0;
  private msgLen = 0;
  private crc = 0;
  /** Body being assembled across pieces (null when it is taken straight from one piece). */
  private body: Uint8Array | null = null;
  private bodyLen = 0;
  /** Frames yielded so far. */
  frames = 0;
  /** Bytes consumed so far. */
  bytes = 0;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Feeds the next piece of the body; yields every message completed by it. */
  *push(piece: Uint8Array): Generator<Uint8Array, void, undefined> {
    let i = 0;
    const n = piece.length;
    this.bytes += n;
    while (i < n) {
      if (this.state === State.Header) {
        // Fast path: the whole header is inside this piece and nothing is pending.
        if (this.headerLen === 0) {
          const parsed = this.parseHeader(piece, i, n);
          if (parsed > 0) {
            i = parsed;
            if (n - i >= this.msgLen) {
              const msg = piece.subarray(i, i + this.msgLen);
              i += this.msgLen;
              yield this.verify(msg);
              continue;
            }
            this.startBody();
            continue;
          }
        }
        // Slow path: collect header bytes one at a time.
        this.header[this.headerLen++] = piece[i++]!;
        const parsed = this.parseHeader(this.header, 0, this.headerLen);
        if (parsed > 0) {
          this.headerLen = 0;
          if (this.msgLen === 0) {
            yield this.verify(new Uint8Array(0));
            continue;
          }
          this.startBody();
        } else if (this.headerLen === this.header.length) {
          throw new FrameError('invalid frame header: length varint longer than 10 bytes');
        }
      } else {
        const take = Math.min(n - i, this.msgLen - this.bodyLen);
        this.body!.set(piece.subarray(i, i + take), this.bodyLen);
        this.bodyLen += take;
        i += take;
        if (this.bodyLen === this.msgLen) {
          const msg = this.body!;
          this.body = null;
          this.state = State.Header;
          yield this.verify(msg);
        }
      }
    }
  }

  /** Call at the end of the body: throws when a frame is incomplete. */
  end(): void {
    if (this.state === State.Body) {
      throw new FrameError(`truncated stream: frame ${this.frames + 1} has ${this.bodyLen} of ${this.msgLen} message bytes`);
    }
    if (this.headerLen > 0) throw new FrameError(`truncated stream: incomplete header of frame ${this.frames + 1}`);
  }

  /** True when the decoder is between frames. */
  idle(): boolean {
    return this.state === State.Header && this.headerLen === 0;
  }

  private startBody(): void {
    this.body = new Uint8Array(this.msgLen);
    this.bodyLen = 0;
    this.state = State.Body;
  }

  /**
   * Parses uvarint length + CRC from buf[s, e). Returns the offset after the header, or 0 when more
   * bytes are needed. Sets msgLen and crc.
   */
  private parseHeader(buf: Uint8Array, s: number, e: number): number {
    let len = 0;
    let mul = 1;
    let p = s;
    for (let k = 0; ; k++) {
      if (p >= e) return 0;
      if (k === 10) throw new FrameError('invalid frame header: length varint longer than 10 bytes');
      const b = buf[p++]!;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) break;
    }
    if (len > this.maxFrameBytes) {
      throw new FrameError(`frame ${this.frames + 1} of ${len} bytes exceeds the limit of ${this.maxFrameBytes} bytes`);
    }
    if (e - p < 4) return 0;
    this.crc = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
    this.msgLen = len;
    return p + 4;
  }

  private verify(msg: Uint8Array): Uint8Array {
    this.frames++;
    const got = crc32c(msg);
    if (got !== this.crc) {
      throw new FrameError(
        `frame ${this.frames}: CRC-32C mismatch (header ${this.crc.toString(16).padStart(8, '0')}, message ${got.toString(16).padStart(8, '0')})`,
      );
    }
    return msg;
  }
}

/** Builds one frame (for tests and a future server side). */
export function encodeFrame(msg: Uint8Array): Uint8Array {
  const head: number[] = [];
  let n = msg.length;
  while (n >= 0x80) {
    head.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  head.push(n);
  const crc = crc32c(msg);
  const out = new Uint8Array(head.length + 4 + msg.length);
  out.set(head, 0);
  out[head.length] = crc >>> 24;
  out[head.length + 1] = (crc >>> 16) & 0xff;
  out[head.length + 2] = (crc >>> 8) & 0xff;
  out[head.length + 3] = crc & 0xff;
  out.set(msg, head.length + 4);
  return out;
}
