import type { LabelMatcher } from '../model/matcher.js';
import type { Store } from '../store/store.js';
import { storeMatchesMatchers } from '../store/prune.js';

/** The configured endpoints; picks the ones a select can concern. */
export class StoreSet {
  constructor(readonly stores: readonly Store[]) {}

  /** Stores whose external labels do not contradict the matchers (Thanos' LabelSetsMatch). */
  matching(matchers: readonly LabelMatcher[]): Store[] {
    return this.stores.filter((s) => storeMatchesMatchers(s.labelSets(), matchers));
  }

  async start(): Promise<void> {
    await Promise.all(this.stores.map((s) => s.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.stores.map((s) => s.stop()));
  }
}
