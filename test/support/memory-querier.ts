import { compareLabels, getLabel } from '../../src/model/labels.js';
import type { LabelMatcher } from '../../src/model/matcher.js';
import { clipSamples, type Series } from '../../src/model/samples.js';
import type { Querier, SelectHints, SelectResult } from '../../src/storage/querier.js';

/** A querier over series held in memory: for engine tests and the conformance runner. */
export class MemoryQuerier implements Querier {
  private readonly series: Series[];

  constructor(series: Iterable<Series>) {
    this.series = [...series].sort((a, b) => compareLabels(a.labels, b.labels));
  }

  async select(matchers: readonly LabelMatcher[], hints: SelectHints): Promise<SelectResult> {
    const out: Series[] = [];
    for (const s of this.series) {
      if (!matchers.every((m) => m.matches(getLabel(s.labels, m.name)))) continue;
      const samples = clipSamples(s.samples, hints.start, hints.end);
      if (samples.timestamps.length > 0) out.push({ labels: s.labels, samples });
    }
    return { series: out, warnings: [] };
  }
}
