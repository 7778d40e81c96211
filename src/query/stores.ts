import type { LabelMatcher } from '../model/matcher.js';
import type { Store } from '../store/store.js';
import { storeMatchesMatchers } from '../store/prune.js';

export interface StoreSetOptions {
  /** --store.unhealthy-timeout: an endpoint failing its checks this long is no longer warned about. */
  readonly unhealthyTimeoutMs?: number;
  /** Injectable clock (ms since the epoch) for tests. */
  readonly now?: () => number;
}

export interface MatchingStores {
  /** Stores to ask. */
  readonly stores: Store[];
  /**
   * Endpoints that would have served the request (by their last known label sets and time range)
   * but are unhealthy: the answer must say it is partial.
   */
  readonly unavailable: Store[];
}

/**
 * The endpoints the querier fans out to, static or discovered (`replace`), and the choice of the
 * ones a request concerns.
 */
export class StoreSet {
  private current: Store[];
  private started = false;
  private readonly unhealthyTimeout: number;
  private readonly now: () => number;
  private readonly since = new Map<Store, number>();

  constructor(stores: readonly Store[], opts: StoreSetOptions = {}) {
    this.current = [...stores];
    this.unhealthyTimeout = opts.unhealthyTimeoutMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    for (const s of stores) this.since.set(s, this.now());
  }

  get stores(): readonly Store[] {
    return this.current;
  }

  /**
   * Stores whose external labels do not contradict the matchers (Thanos' LabelSetsMatch) and whose
   * time range overlaps [mint, maxt] (both inclusive).
   */
  matching(matchers: readonly LabelMatcher[], mint = -Infinity, maxt = Infinity): MatchingStores {
    const stores: Store[] = [];
    const unavailable: Store[] = [];
    const now = this.now();
    for (const s of this.current) {
      const st = s.status();
      if (mint > st.maxTime || maxt < st.minTime) continue;
      if (!storeMatchesMatchers(s.labelSets(), matchers)) continue;
      if (st.queryable) stores.push(s);
      else if (now - Math.max(st.lastSuccess, this.since.get(s) ?? 0) < this.unhealthyTimeout) unavailable.push(s);
    }
    return { stores, unavailable };
  }

  /** Swaps in a new endpoint list: new stores are started, ones no longer listed stopped. */
  async replace(next: readonly Store[]): Promise<void> {
    const keep = new Set(next);
    const gone = this.current.filter((s) => !keep.has(s));
    const added = next.filter((s) => !this.since.has(s));
    for (const s of added) this.since.set(s, this.now());
    for (const s of gone) this.since.delete(s);
    if (this.started) await Promise.all(added.map((s) => s.start()));
    this.current = [...next];
    await Promise.all(gone.map((s) => s.stop()));
  }

  async start(): Promise<void> {
    this.started = true;
    await Promise.all(this.current.map((s) => s.start()));
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all(this.current.map((s) => s.stop()));
  }
}

/** The warning (partial response on) or error (off) for endpoints that could not be asked. */
export function unavailableMessage(s: Store): string {
  const err = s.status().lastError;
  return `endpoint ${s.name} is unhealthy and was not asked${err !== null ? `: ${err}` : ''}`;
}
