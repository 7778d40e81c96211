/**
 * Re-compressing an edited snappy block without compressing it again. When a few byte ranges of a
 * decoded block were removed or rewritten (remote write: the replica label taken out of every
 * series), the sender's own copies still describe almost all of the result: a copy whose
 * destination and source both avoid the edited ranges stays a copy, with its offset shortened by
 * the bytes removed in between; everything else becomes literal bytes taken from the edited
 * buffer. One pass over the block's elements, no hashing, and the result is as small as the
 * sender made it. Pure, no I/O.
 */
import { snappyHeader } from './snappy.js';

/**
 * Edited ranges of a decoded block, in increasing order and disjoint: the original bytes
 * [start, end) were removed or replaced, and `shiftAfter` is how many bytes shorter the edited
 * buffer is than the original once past that range (an unedited byte at original position x lies
 * at x − shiftAfter of the last range ending at or before x).
 */
export interface EditArrays {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly shifts: Int32Array;
  readonly count: number;
}

export class ByteEdits {
  starts = new Int32Array(1024);
  ends = new Int32Array(1024);
  shifts = new Int32Array(1024);
  count = 0;
  private blockIndex = new Int32Array(0);

  clear(): void {
    this.count = 0;
  }

  /** Copies of the used part (to move to another thread). */
  toArrays(): EditArrays {
    const n = this.count;
    return { starts: this.starts.slice(0, n), ends: this.ends.slice(0, n), shifts: this.shifts.slice(0, n), count: n };
  }

  static fromArrays(a: EditArrays): ByteEdits {
    const edits = new ByteEdits();
    edits.growTo(a.count + 2);
    edits.starts.set(a.starts.subarray(0, a.count));
    edits.ends.set(a.ends.subarray(0, a.count));
    edits.shifts.set(a.shifts.subarray(0, a.count));
    edits.count = a.count;
    return edits;
  }

  /**
   * For each 2^INDEX_SHIFT-byte block of the original, the first edit ending after the block's
   * start, so the edit around any position is a step or two away. Reads may run to index
   * `count`, where `ends` holds a sentinel past every position.
   */
  index(originalLength: number): Int32Array {
    const blocks = (originalLength >>> INDEX_SHIFT) + 1;
    if (this.blockIndex.length < blocks) this.blockIndex = new Int32Array(blocks * 2);
    if (this.count === this.ends.length) this.growTo(this.count + 1);
    this.ends[this.count] = 0x7fffffff;
    const index = this.blockIndex;
    let i = 0;
    for (let b = 0; b < blocks; b++) {
      const at = b << INDEX_SHIFT;
      while (this.ends[i]! <= at) i++;
      index[b] = i;
    }
    return index;
  }

  add(start: number, end: number, shiftAfter: number): void {
    if (this.count + 1 >= this.starts.length) this.growTo(this.count + 2);
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.shifts[this.count] = shiftAfter;
    this.count++;
  }

  private growTo(n: number): void {
    if (n <= this.starts.length) return;
    const size = Math.max(n, this.starts.length * 2);
    for (const key of ['starts', 'ends', 'shifts'] as const) {
      const next = new Int32Array(size);
      next.set(this[key]);
      this[key] = next;
    }
  }
}

const INDEX_SHIFT = 6;

/** Copies shorter than this are left to the surrounding literal: a copy tag would save nothing. */
const MIN_COPY = 4;

/**
 * The snappy block of `edited` (the decoded `block` with `edits` applied), built from `block`'s
 * own elements. `block` must be a valid snappy block (it was decoded before).
 *
 * Each of the sender's copies is split at the edited ranges. Each unedited piece proposes an
 * offset: its source mapped through the edits. A piece whose source is unedited too is known to
 * match; one that continues the previous piece at the same offset joins it once the few edited
 * bytes between them (a rewritten length prefix) are checked equal. So a copy spanning a removed
 * label stays one copy when its source lost the same label, and bytes are compared only where
 * an edit touches a copy.
 */
export function recompressEdited(block: Uint8Array, edited: Uint8Array, edits: ByteEdits): Buffer {
  const { length, headerBytes } = snappyHeader(block);
  const out = new OutputBlock(block.length + 64);
  out.header(edited.length);
  const starts = edits.starts;
  const ends = edits.ends;
  const shifts = edits.shifts;
  const m = edits.count;
  const index = edits.index(length);
  const end = block.length;
  let p = headerBytes;
  let d = 0; // destination of the current element, original coordinates
  let j = 0; // first edit ending after the current piece's start
  // Edited-buffer coordinates from here: [0, covered) is written out; [pendingStart, pendingEnd)
  // is a copy from `pendingDistance` back that may still grow.
  let covered = 0;
  let pendingStart = 0;
  let pendingEnd = 0;
  let pendingDistance = 0;
  while (p < end) {
    const tag = block[p]!;
    const kind = tag & 3;
    let len: number;
    let off: number;
    if (kind === 0) {
      len = tag >>> 2;
      p++;
      if (len >= 60) {
        const extra = len - 59;
        len = block[p]!;
        if (extra > 1) len |= block[p + 1]! << 8;
        if (extra > 2) len |= block[p + 2]! << 16;
        if (extra > 3) len += block[p + 3]! * 0x1000000;
        p += extra;
      }
      len++;
      p += len;
      d += len; // literal bytes are written later, from the edited buffer
      continue;
    } else if (kind === 1) {
      len = 4 + ((tag >>> 2) & 7);
      off = ((tag & 0xe0) << 3) | block[p + 1]!;
      p += 2;
    } else if (kind === 2) {
      len = 1 + (tag >>> 2);
      off = block[p + 1]! | (block[p + 2]! << 8);
      p += 3;
    } else {
      len = 1 + (tag >>> 2);
      off = (block[p + 1]! | (block[p + 2]! << 8) | (block[p + 3]! << 16)) + block[p + 4]! * 0x1000000;
      p += 5;
    }
    const copyEnd = d + len;
    let a = d;
    while (a < copyEnd) {
      while (j < m && ends[j]! <= a) j++;
      if (j < m && starts[j]! <= a) {
        a = ends[j]! < copyEnd ? ends[j]! : copyEnd; // edited bytes: no offset to propose
        continue;
      }
      const b = j < m && starts[j]! < copyEnd ? starts[j]! : copyEnd;
      const pieceStart = a - (j > 0 ? shifts[j - 1]! : 0);
      const pieceEnd = pieceStart + (b - a);
      a = b;
      if (pieceEnd <= pendingEnd || pieceEnd <= covered) continue;
      const s = pieceStart + (j > 0 ? shifts[j - 1]! : 0) - off;
      let distance = off;
      let sourceUnedited = true;
      if (j > 0 && ends[j - 1]! > s) {
        // An edit lies between source and destination. The source's shift comes from the first
        // edit ending after it (i), found from the index.
        let i = index[s >>> INDEX_SHIFT]!;
        while (ends[i]! <= s) i++;
        if (starts[i]! <= s) continue; // the source starts inside an edit
        distance = pieceStart - (s - (i > 0 ? shifts[i - 1]! : 0));
        sourceUnedited = starts[i]! >= s + (pieceEnd - pieceStart);
      }
      if (pendingEnd > pendingStart && distance === pendingDistance && pieceStart >= pendingEnd) {
        const bridged = matchEnd(edited, pendingEnd, pieceStart, distance);
        if (bridged === pieceStart) {
          pendingEnd = sourceUnedited ? pieceEnd : matchEnd(edited, pieceStart, pieceEnd, distance);
          continue;
        }
        pendingEnd = bridged;
      }
      let from = pieceStart > pendingEnd ? pieceStart : pendingEnd;
      if (covered > from) from = covered;
      const to = sourceUnedited ? pieceEnd : matchEnd(edited, from, pieceEnd, distance);
      if (to - from < MIN_COPY) continue;
      if (pendingEnd - pendingStart >= MIN_COPY) {
        out.literal(edited, covered, pendingStart);
        out.copy(pendingDistance, pendingEnd - pendingStart);
        covered = pendingEnd;
      }
      pendingStart = from;
      pendingEnd = to;
      pendingDistance = distance;
    }
    d = copyEnd;
  }
  if (pendingEnd - pendingStart >= MIN_COPY) {
    out.literal(edited, covered, pendingStart);
    out.copy(pendingDistance, pendingEnd - pendingStart);
    covered = pendingEnd;
  }
  out.literal(edited, covered, edited.length);
  return out.finish();
}

/** The end of the run from `from` (before `to`) where edited[i] equals edited[i - distance]. */
function matchEnd(edited: Uint8Array, from: number, to: number, distance: number): number {
  let i = from;
  while (i < to && edited[i] === edited[i - distance]) i++;
  return i;
}

/** A growing snappy block being written, in buffers of its own (never Buffer's shared pool slab). */
class OutputBlock {
  private buf: Buffer;
  private o = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }

  private ensure(n: number): void {
    if (this.o + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.o + n));
    this.buf.copy(next, 0, 0, this.o);
    this.buf = next;
  }

  header(length: number): void {
    this.ensure(5);
    let x = length;
    while (x >= 0x80) {
      this.buf[this.o++] = (x & 0x7f) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.o++] = x;
  }

  literal(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.ensure(n + 5);
    const buf = this.buf;
    const l = n - 1;
    if (l < 60) buf[this.o++] = l << 2;
    else if (l < 0x100) {
      buf[this.o++] = 60 << 2;
      buf[this.o++] = l;
    } else if (l < 0x10000) {
      buf[this.o++] = 61 << 2;
      buf[this.o++] = l & 0xff;
      buf[this.o++] = l >>> 8;
    } else if (l < 0x1000000) {
      buf[this.o++] = 62 << 2;
      buf[this.o++] = l & 0xff;
      buf[this.o++] = (l >>> 8) & 0xff;
      buf[this.o++] = l >>> 16;
    } else {
      buf[this.o++] = 63 << 2;
      buf[this.o++] = l & 0xff;
      buf[this.o++] = (l >>> 8) & 0xff;
      buf[this.o++] = (l >>> 16) & 0xff;
      buf[this.o++] = l >>> 24;
    }
    if (n < 16) for (let i = 0; i < n; i++) buf[this.o + i] = src[from + i]!;
    else buf.set(src.subarray(from, to), this.o);
    this.o += n;
  }

  /** A copy of `len` (≥ 4) bytes from `off` back, in as few elements as the format allows. */
  copy(off: number, len: number): void {
    // At most 64 bytes per element; a remainder under 4 is avoided by taking 60 first. Each
    // element covers ≥ 4 bytes in ≤ 5, so 2·len + 10 bytes of room always suffice.
    this.ensure(2 * len + 10);
    while (len >= 68) {
      this.element(off, 64);
      len -= 64;
    }
    if (len > 64) {
      this.element(off, 60);
      len -= 60;
    }
    this.element(off, len);
  }

  private element(off: number, len: number): void {
    const buf = this.buf;
    if (len <= 11 && off < 2048 && len >= 4) {
      buf[this.o++] = 1 | ((len - 4) << 2) | ((off >>> 8) << 5);
      buf[this.o++] = off & 0xff;
    } else if (off < 0x10000) {
      buf[this.o++] = 2 | ((len - 1) << 2);
      buf[this.o++] = off & 0xff;
      buf[this.o++] = off >>> 8;
    } else {
      buf[this.o++] = 3 | ((len - 1) << 2);
      buf[this.o++] = off & 0xff;
      buf[this.o++] = (off >>> 8) & 0xff;
      buf[this.o++] = (off >>> 16) & 0xff;
      buf[this.o++] = off >>> 24;
    }
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.o);
  }
}
