import { normaliseStale, type Samples } from '../model/samples.js';

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('promdedup chunkenc: little-endian platform required');
}

/**
 * Growable sample columns that chunk decoders append into, so many chunks of one series become one
 * `Samples` without intermediate arrays. Values are written as raw 64-bit words (`words`, a
 * little-endian Uint32Array view over `values`), so NaN payloads reach the Float64Array untouched.
 * Reusable: `finish()` copies out exact-size columns and empties the buffer.
 */
export class SampleBuffer {
  timestamps: Float64Array;
  values: Float64Array;
  /** words[2i] = low word, words[2i+1] = high word of values[i]. */
  words: Uint32Array;
  stale: Uint8Array | null = null;
  length = 0;
  /** Set by appenders when a timestamp <= the previous one was appended. */
  unordered = false;

  constructor(capacity = 256) {
    this.timestamps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.words = new Uint32Array(this.values.buffer);
  }

  /** Makes room for `extra` more samples. */
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

  /** Flags sample i as a staleness marker. */
  markStale(i: number): void {
    if (this.stale === null) this.stale = new Uint8Array(this.timestamps.length);
    this.stale[i] = 1;
  }

  lastTimestamp(): number {
    return this.length > 0 ? this.timestamps[this.length - 1]! : -Infinity;
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
    const n = this.length;
    let out: Samples;
    if (!this.unordered) {
      out = {
        timestamps: this.timestamps.slice(0, n),
        values: this.values.slice(0, n),
        stale: this.stale ? normaliseStale(this.stale.slice(0, n)) : null,
      };
    } else {
      out = this.sortedDeduped();
    }
    this.clear();
    return out;
  }

  private sortedDeduped(): Samples {
    const n = this.length;
    const ts = this.timestamps;
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    // Stable: ties keep append order.
    const order = Array.from(idx).sort((a, b) => ts[a]! - ts[b]! || a - b);
    const oTs = new Float64Array(n);
    const oVs = new Float64Array(n);
    const oWords = new Uint32Array(oVs.buffer);
    const oSt = this.stale ? new Uint8Array(n) : null;
    let m = 0;
    for (const i of order) {
      const t = ts[i]!;
      if (m > 0 && oTs[m - 1] === t) continue;
      oTs[m] = t;
      oWords[2 * m] = this.words[2 * i]!;
      oWords[2 * m + 1] = this.words[2 * i + 1]!;
      if (oSt) oSt[m] = this.stale![i]!;
      m++;
    }
    return {
      timestamps: oTs.slice(0, m),
      values: oVs.slice(0, m),
      stale: oSt ? normaliseStale(oSt.slice(0, m)) : null,
    };
  }
}
