/** Snappy block format helpers with size checks before anything is allocated. */
import { compressSync, uncompressSync } from 'snappy';

export class SnappyError extends Error {
  override name = 'SnappyError';
}

/** The decoded length a snappy block declares (its uvarint prefix). */
export function snappyDecodedLength(b: Uint8Array): number {
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < b.length; i++) {
    n += (b[i]! & 0x7f) * mul;
    if (b[i]! < 0x80) return n;
    mul *= 128;
  }
  throw new SnappyError('invalid snappy block header');
}

/** Decodes a snappy block, refusing one that declares more than `maxBytes` (a snappy bomb). */
export function snappyDecode(block: Uint8Array, maxBytes: number): Buffer {
  const declared = snappyDecodedLength(block);
  if (declared > maxBytes) throw new SnappyError(`snappy block decodes to ${declared} bytes, over the limit of ${maxBytes}`);
  return uncompressSync(Buffer.from(block.buffer, block.byteOffset, block.length), { asBuffer: true }) as Buffer;
}

export function snappyEncode(raw: Uint8Array): Buffer {
  return compressSync(Buffer.from(raw.buffer, raw.byteOffset, raw.length));
}
