import { normaliseStale, type Samples } from '../model/samples.js';

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('promdedup chunkenc: little-endian platform required');
}

/**
 * What chunk decoders append into. Values are written as raw 64-bit words (`words`, a
 * little-endian Uint32Array view over the value column: words[2i] = low, words[2i+1] = high word),
 * so NaN payloads reach the Float64Array untouched. Decoders call `reserve(n)` before writing n
 * samples at `length` and re-read the columns afterwards (reserve may replace them).
 */
export interface SampleSink {
  timestamps: Float64Array;
  words: Uint32Array;
  length: number;
  /** Set by appenders when a timestamp <= the previous one of the same series was appended. */
  unordered: boolean;
  /** Makes room for `extra` more samples. */
  reserve(extra: number): void;
  /** Flags sample i as a staleness marker. */
  markStale(i: number): void;
  /** Timestamp of the last sample of the series being appended, -Infinity when none. */
  lastTimestamp(): number;
}

/**
 * Growable sample columns that chunk decoders append into, so many chunks of one series become one
 * `Samples` without intermediate arrays. Reusable: `finish()` copies out exact-size columns and
 * empties the buffer. (The remote read path uses SampleArena instead, which needs no copy.)
 */
export class SampleBuffer implements SampleSink {
  timestamps: Float64Array;
  values: Float64Array;
  words: Uint32Array;
  stale: Uint8Array | null = null;
  length = 0;
  unordered = false;

  constructor(capacity = 256) {
    this.timestamps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.words = new Uint32Array(this.values.buffer);
  }

  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.timestamps.length) return;
    const cap = Math.max(need, this.timestamps.length * 2);
    const ts = new Float64Array(cap);
    ts.set(this.timestamps.subarray(0, this.length));
    const vs = new Float64Array(cap);
    vs.set(this.values.subarray(0, this.length));
    this.timestamps = ts;
    this.values = vs;
    this.words = new Uint32Array(vs.buffer);
    if (this.stale) {
      const st = new Uint8Array(cap);
      st.set(this.stale.subarray(0, this.length));
      this.stale = st;
    }
  }

  markStale(i: number): void {
    if (this.stale === null) this.stale = new Uint8Array(this.timestamps.length);
    this.stale[i] = 1;
  }

  lastTimestamp(): number {
    return this.length > 0 ? this.timestamps[this.length - 1]! : -Infinity;
  }

  /** Appends whole Samples (bit-exact values), flagging `unordered` as decoders do. */
  appendSamples(s: Samples): void {
    const n = s.timestamps.length;
    if (n === 0) return;
    this.reserve(n);
    const at = this.length;
    if (s.timestamps[0]! <= this.lastTimestamp()) this.unordered = true;
    this.timestamps.set(s.timestamps, at);
    this.values.set(s.values, at);
    if (s.stale !== null) for (let i = 0; i < n; i++) if (s.stale[i]) this.markStale(at + i);
    this.length = at + n;
  }

  clear(): void {
    this.length = 0;
    this.unordered = false;
    if (this.stale) this.stale.fill(0);
  }

  /**
   * Exact-size columns with timestamps strictly increasing: when chunks overlapped (unordered),
   * samples are sorted by timestamp and, for equal timestamps, the first appended one wins.
   * Empties the buffer for reuse.
   */
  finish(): Samples {
    const n = this.unordered ? sortDedup(this.timestamps, this.words, this.stale, 0, this.length) : this.length;
    const out: Samples = {
      timestamps: this.timestamps.slice(0, n),
      values: this.values.slice(0, n),
      stale: this.stale ? normaliseStale(this.stale.slice(0, n)) : null,
    };
    this.clear();
    return out;
  }
}

/**
 * Sorts samples [from, to) of the columns by timestamp in place, keeping only the first appended
 * sample of each timestamp. Returns the new end (<= to). Stale flags move with their samples.
 */
export function sortDedup(ts: Float64Array, words: Uint32Array, stale: Uint8Array | null, from: number, to: number): number {
  const n = to - from;
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = from + i;
  // Stable: ties keep append order.
  order.sort((a, b) => ts[a]! - ts[b]! || a - b);
  const oTs = new Float64Array(n);
  const oWords = new Uint32Array(2 * n);
  const oSt = stale ? new Uint8Array(n) : null;
  let m = 0;
  for (const i of order) {
    const t = ts[i]!;
    if (m > 0 && oTs[m - 1] === t) continue;
    oTs[m] = t;
    oWords[2 * m] = words[2 * i]!;
    oWords[2 * m + 1] = words[2 * i + 1]!;
    if (oSt) oSt[m] = stale![i]!;
    m++;
  }
  ts.set(oTs.subarray(0, m), from);
  words.set(oWords.subarray(0, 2 * m), 2 * from);
  if (stale && oSt) {
    stale.set(oSt.subarray(0, m), from);
    stale.fill(0, from + m, to);
  }
  return from + m;
}
