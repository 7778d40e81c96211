/**
 * Deduplication front end: groups a select's series into replica groups and merges every group of
 * two or more replicas (penalty, stable or chain). Runs in the query worker that evaluates the query.
 */
import { SampleArena } from '../chunkenc/arena.js';
import type { Labels } from '../model/labels.js';
import { normaliseStale, type Samples, type Series } from '../model/samples.js';
import { chainRuns } from './chain.js';
import { dropNaN } from './counter.js';
import { groupReplicas } from './group.js';
import { penaltyRuns } from './penalty.js';
import { stableRuns } from './stable.js';
import { traceProvenance } from './provenance.js';
import type { DedupOptions } from './types.js';

export type { DedupFunc, DedupOptions } from './types.js';
export type { SeriesProvenance } from './provenance.js';
export { isCounterFunc } from './counter.js';
export { groupReplicas, type ReplicaGroup } from './group.js';
export { mergePenalty } from './penalty.js';
export { mergeChain } from './chain.js';
export { mergeStable, STABLE_NEIGHBOURHOOD_MS } from './stable.js';

/**
 * Merges replica groups; single-replica groups pass through. Returns series sorted by labels,
 * replica labels removed.
 *
 * Takes ownership of the input series' sample arrays: a pass-through series is returned with the
 * very same arrays, so the caller must not modify or reuse them afterwards. Merged series are views
 * (subarrays) on one shared output buffer: never transfer or detach their `samples.*.buffer`.
 */
export function dedupSeries(
  series: readonly DedupInput[],
  replicaLabels: ReadonlySet<string>,
  opts: DedupOptions,
  /** Receives the number of input samples (after decoding). */
  counted: { samplesIn: number } = { samplesIn: 0 },
): Series[] {
  const groups = groupReplicas(series, replicaLabels);
  const out: Series[] = new Array<Series>(groups.length);
  const slabs = new OutputSlabs();
  // Pass-through series decode into `kept`; the replicas of a group into `scratch`, reused per group.
  const kept = new SampleArena(FIRST_ARENA_SAMPLES);
  const scratch = new SampleArena(FIRST_ARENA_SAMPLES);
  const merge = opts.func === 'penalty' ? penaltyRuns : opts.func === 'stable' ? stableRuns : chainRunsCounter;
  const t: Float64Array[] = [];
  const v: Float64Array[] = [];
  const st: (Uint8Array | null)[] = [];
  const start: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (g.replicas.length === 1) {
      const s = samplesOf(g.replicas[0]!, kept);
      counted.samplesIn += s.timestamps.length;
      out[i] = { labels: g.labels, samples: opts.counter ? dropNaN(s) : s };
      opts.explain?.(traceProvenance(g.labels, [onlyLabels(g.replicas[0]!.labels, replicaLabels)], [out[i]!.samples.timestamps], out[i]!.samples.timestamps, opts.func, opts.explainFrom));
      continue;
    }
    // The kernels read each replica's columns where decoding put them: nothing is copied in.
    t.length = v.length = st.length = start.length = end.length = 0;
    let total = 0;
    let withStale = false;
    for (const r of g.replicas) {
      const decoded = samplesOf(r, scratch);
      counted.samplesIn += decoded.timestamps.length;
      const s = opts.counter ? dropNaN(decoded) : decoded;
      t.push(s.timestamps);
      v.push(s.values);
      st.push(s.stale);
      start.push(0);
      end.push(s.timestamps.length);
      total += s.timestamps.length;
      withStale ||= s.stale !== null;
    }
    const o = slabs.reserve(total, withStale);
    const stale = withStale ? slabs.stale! : null;
    const n = merge(t, v, st, start, end, t.length, opts.counter, slabs.timestamps, slabs.values, stale, o) - o;
    out[i] = { labels: g.labels, samples: slabs.take(n, withStale) };
    if (opts.explain !== undefined) {
      const replicaOnly = g.replicas.map((r) => onlyLabels(r.labels, replicaLabels));
      opts.explain(traceProvenance(g.labels, replicaOnly, t, out[i]!.samples.timestamps, opts.func, opts.explainFrom));
    }
    scratch.clear();
  }
  return out;
}

/** The replica labels of one replica's series (what tells it from the others). */
function onlyLabels(ls: Labels, names: ReadonlySet<string>): Labels {
  return ls.filter((l) => names.has(l.name));
}

/** A series to deduplicate: decoded, or with its chunks still encoded. */
export type DedupInput = Series | EncodedInput;

export interface EncodedInput {
  readonly labels: Labels;
  /** Decodes into `arena`; the samples are views of it. */
  decode(arena: SampleArena): Samples;
}

function samplesOf(s: DedupInput, arena: SampleArena): Samples {
  return 'samples' in s ? s.samples : s.decode(arena);
}

/** chainRuns with penaltyRuns' signature (chain has no counter adjustment: NaNs are already gone). */
function chainRunsCounter(
  t: readonly Float64Array[],
  v: readonly Float64Array[],
  s: readonly (Uint8Array | null)[],
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  n: number,
  _counter: boolean,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  return chainRuns(t, v, s, start, end, n, oT, oV, oS, o);
}

/** Merged series' columns: exact-size views of a few large slabs (no allocation per series). */
class OutputSlabs {
  timestamps = new Float64Array(0);
  values = new Float64Array(0);
  stale: Uint8Array | null = null;
  private pos = 0;

  /** Room for `n` samples at the returned offset. */
  reserve(n: number, withStale: boolean): number {
    if (this.pos + n > this.timestamps.length) {
      // Twice the last slab, up to SLAB_SAMPLES: a select of a few series does not allocate (and
      // zero) megabytes it never uses; a large one reaches full-size slabs after a few.
      const cap = Math.max(n, Math.min(SLAB_SAMPLES, Math.max(FIRST_SLAB_SAMPLES, 2 * this.timestamps.length)));
      this.timestamps = new Float64Array(cap);
      this.values = new Float64Array(cap);
      this.stale = null;
      this.pos = 0;
    }
    if (withStale && this.stale === null) this.stale = new Uint8Array(this.timestamps.length);
    return this.pos;
  }

  /** The `n` samples just written at the reserved offset. */
  take(n: number, withStale: boolean): Samples {
    const from = this.pos;
    this.pos += n;
    return {
      timestamps: this.timestamps.subarray(from, from + n),
      values: this.values.subarray(from, from + n),
      stale: withStale ? normaliseStale(this.stale!.subarray(from, from + n)) : null,
    };
  }
}

const SLAB_SAMPLES = 1 << 18;
/** The decoding arenas' first slabs (they double as needed): a small select allocates little. */
const FIRST_ARENA_SAMPLES = 512;
/** The first slab of a dedupSeries call (16 KiB per column). */
const FIRST_SLAB_SAMPLES = 1 << 11;
