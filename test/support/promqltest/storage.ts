/**
 * Test storage: turns the `load` commands since the last `clear` into Series (with stale flags)
 * and remembers the series the runner cannot represent (native histograms, start timestamps).
 */
import { dropLabels, getLabel, labelsKey, METRIC_NAME, setLabel, type Labels } from '../../../src/model/labels.js';
import type { LabelMatcher } from '../../../src/model/matcher.js';
import { samplesFromArrays, type Series } from '../../../src/model/samples.js';
import type { LoadCmd } from './types.js';

/** A series that exists in the reference storage but not in ours. */
export interface UnsupportedSeries {
  readonly labels: Labels;
  readonly reason: string;
}

const LE = new Set(['le']);
const NHCB_SUFFIXES = ['_bucket', '_count', '_sum'] as const;

export class TestStorage {
  /** labelsKey → labels and samples keyed by timestamp (later loads overwrite). */
  private readonly data = new Map<string, { labels: Labels; points: Map<number, number | 'stale'> }>();
  private readonly unsupported: UnsupportedSeries[] = [];
  private cache: Series[] | null = null;

  clear(): void {
    this.data.clear();
    this.unsupported.length = 0;
    this.cache = null;
  }

  load(cmd: LoadCmd): void {
    this.cache = null;
    // Within one block the last definition of a label set wins, as in the reference runner.
    const defs = new Map<string, LoadCmd['series'][number]>();
    for (const s of cmd.series) defs.set(labelsKey(s.labels), s);
    for (const [key, def] of defs) {
      if (def.unsupported !== null) {
        this.unsupported.push({ labels: def.labels, reason: def.unsupported });
        continue;
      }
      let entry = this.data.get(key);
      if (!entry) {
        entry = { labels: def.labels, points: new Map() };
        this.data.set(key, entry);
      }
      def.values.forEach((v, i) => {
        if (v.kind === 'omitted') return;
        entry.points.set(i * cmd.intervalMs, v.kind === 'stale' ? 'stale' : v.v);
      });
    }
    if (cmd.withNhcb) this.addNhcbShadows(cmd);
  }

  /** `load_with_nhcb` also creates a custom-bucket native histogram per classic histogram. */
  private addNhcbShadows(cmd: LoadCmd): void {
    const seen = new Set<string>();
    for (const s of cmd.series) {
      const name = getLabel(s.labels, METRIC_NAME);
      const suffix = NHCB_SUFFIXES.find((x) => name.endsWith(x));
      if (!suffix) continue;
      if (suffix === '_bucket' && Number.isNaN(Number(getLabel(s.labels, 'le') || 'NaN'))) continue;
      const base = setLabel(dropLabels(s.labels, LE), METRIC_NAME, name.slice(0, -suffix.length));
      const key = labelsKey(base);
      if (seen.has(key)) continue;
      seen.add(key);
      this.unsupported.push({ labels: base, reason: 'native histograms (load_with_nhcb)' });
    }
  }

  series(): Series[] {
    if (this.cache) return this.cache;
    const out: Series[] = [];
    for (const { labels, points } of this.data.values()) {
      if (points.size === 0) continue;
      const ts = [...points.keys()].sort((a, b) => a - b);
      const vs = ts.map((t) => points.get(t)!);
      out.push({
        labels,
        samples: samplesFromArrays(
          ts,
          vs.map((v) => (v === 'stale' ? NaN : v)),
          vs.map((v) => (v === 'stale' ? 1 : 0)),
        ),
      });
    }
    this.cache = out;
    return out;
  }

  /** The reason the first unsupported series matched by `matchers` is unsupported, else null. */
  unsupportedMatch(matchers: readonly LabelMatcher[]): string | null {
    for (const u of this.unsupported) {
      if (matchers.every((m) => m.matches(getLabel(u.labels, m.name)))) return u.reason;
    }
    return null;
  }

  hasUnsupported(): boolean {
    return this.unsupported.length > 0;
  }
}
