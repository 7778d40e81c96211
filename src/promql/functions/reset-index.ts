/**
 * Prefix counts of counter resets over one series' values, built lazily on first use. Overlapping
 * windows of rate()/increase()/resets() would otherwise rescan every sample at every step; with the
 * index a window without resets (the common case) is answered in O(1).
 */
export class ResetIndex {
  private v: Float64Array | null = null;
  private built = false;
  /** prefix[i] = number of j in [1, i] with v[j] < v[j-1]; prefix[0] = 0. */
  private prefix = new Int32Array(0);

  /** Points the index at a new series; the prefix is rebuilt on the next query. */
  reset(v: Float64Array): void {
    this.v = v;
    this.built = false;
  }

  /** Number of adjacent decreases among v[from..to-1] (pairs (i-1, i) with from < i < to). */
  count(from: number, to: number): number {
    if (to - from < 2) return 0;
    if (!this.built) this.build();
    return this.prefix[to - 1]! - this.prefix[from]!;
  }

  private build(): void {
    const v = this.v!;
    const n = v.length;
    // The buffer is reused across series; only [0, n) is ever read.
    if (this.prefix.length < n) this.prefix = new Int32Array(Math.max(n, this.prefix.length * 2));
    const p = this.prefix;
    let c = 0;
    if (n > 0) p[0] = 0;
    for (let i = 1; i < n; i++) {
      if (v[i]! < v[i - 1]!) c++;
      p[i] = c;
    }
    this.built = true;
  }
}
