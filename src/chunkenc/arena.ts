/**
 * SampleArena: sample columns for many series decoded one after another. Each series is appended
 * at the end of a shared slab and handed out as exact-size views (subarrays) of it, so a series
 * costs no allocation and no copy of its own, and the garbage collector sees a few large buffers
 * instead of several small ones per series.
 *
 * When the open series does not fit, a new slab is started (twice as large, up to maxSlab samples)
 * and only the open series' samples are moved there; views already handed out keep the old slab
 * alive. Consequence for consumers: the views share their ArrayBuffer with other series, so they
 * must never be transferred or detached (promdedup copies before handing buffers to workers).
 */
import { normaliseStale, type Samples } from '../model/samples.js';
import { sortDedup, type SampleSink } from './buffer.js';

export class SampleArena implements SampleSink {
  timestamps: Float64Array;
  values: Float64Array;
  words: Uint32Array;
  /** Allocated on the first staleness marker of a slab. */
  stale: Uint8Array | null = null;
  /** End of the open series. */
  length = 0;
  unordered = false;
  /** Start of the open series. */
  private start = 0;
  private openHasStale = false;

  constructor(
    firstSlab = 4096,
    private readonly maxSlab = 1 << 16,
  ) {
    this.timestamps = new Float64Array(firstSlab);
    this.values = new Float64Array(firstSlab);
    this.words = new Uint32Array(this.values.buffer);
  }

  reserve(extra: number): void {
    if (this.length + extra <= this.timestamps.length) return;
    const open = this.length - this.start;
    const cap = Math.max(open + extra, Math.min(this.timestamps.length * 2, this.maxSlab));
    const ts = new Float64Array(cap);
    const vs = new Float64Array(cap);
    ts.set(this.timestamps.subarray(this.start, this.length));
    vs.set(this.values.subarray(this.start, this.length));
    let st: Uint8Array | null = null;
    if (this.openHasStale) {
      st = new Uint8Array(cap);
      st.set(this.stale!.subarray(this.start, this.length));
    }
    this.timestamps = ts;
    this.values = vs;
    this.words = new Uint32Array(vs.buffer);
    this.stale = st;
    this.start = 0;
    this.length = open;
  }

  /**
   * Forgets every series and reuses the current slab from its start: for scratch decoding whose
   * views are dropped before the next use (all of them become invalid).
   */
  clear(): void {
    if (this.stale !== null) this.stale.fill(0, 0, this.length);
    this.start = this.length = 0;
    this.unordered = false;
    this.openHasStale = false;
  }

  markStale(i: number): void {
    if (this.stale === null) this.stale = new Uint8Array(this.timestamps.length);
    this.stale[i] = 1;
    this.openHasStale = true;
  }

  lastTimestamp(): number {
    return this.length > this.start ? this.timestamps[this.length - 1]! : -Infinity;
  }

  /** Number of samples in the open series. */
  openLength(): number {
    return this.length - this.start;
  }

  /**
   * Closes the open series and returns its samples as views, timestamps strictly increasing (when
   * chunks overlapped, sorted with the first appended sample winning on equal timestamps). The
   * next appended sample starts a new series.
   */
  take(): Samples {
    let end = this.length;
    const from = this.start;
    if (this.unordered) end = sortDedup(this.timestamps, this.words, this.openHasStale ? this.stale : null, from, end);
    let stale: Uint8Array | null = null;
    if (this.openHasStale) {
      stale = this.stale!.subarray(from, end);
      if (this.unordered) stale = normaliseStale(stale);
    }
    const out: Samples = { timestamps: this.timestamps.subarray(from, end), values: this.values.subarray(from, end), stale };
    this.start = this.length = end;
    this.unordered = false;
    this.openHasStale = false;
    return out;
  }
}
