/**
 * A small, deliberately plain reference of Thanos' penalty deduplication (thanos-querier.md §1.3),
 * used by tests to compute the data a deduplicating querier should see. It is written straight from
 * the spec in iterator style with forward-only Seek, independent of src/dedup.
 */

/** One float sample: [timestamp in ms, value]. */
export type RefSample = readonly [t: number, v: number];

/** A forward-only sample iterator, the shape the penalty algorithm is defined on. */
export interface RefIterator {
  /** Moves to the next sample; false when exhausted. */
  next(): boolean;
  /** Moves forward to the first sample with t >= ts (never backwards); false when exhausted. */
  seek(ts: number): boolean;
  /** The current sample (only valid after next()/seek() returned true). */
  at(): RefSample;
}

/** A child of the dedup iterator: it can be shifted up by the counter adjustment (§1.5). */
export interface AdjustableIterator extends RefIterator {
  adjustAtValue(lastValue: number): void;
}

/** Iterates a sorted sample list. Seek never moves backwards, like real TSDB iterators. */
export class ListIterator implements AdjustableIterator {
  private i = -1;
  constructor(private readonly samples: readonly RefSample[]) {}

  next(): boolean {
    if (this.i < this.samples.length) this.i++;
    return this.i < this.samples.length;
  }

  seek(ts: number): boolean {
    if (this.i < 0) this.i = 0;
    while (this.i < this.samples.length && this.samples[this.i]![0] < ts) this.i++;
    return this.i < this.samples.length;
  }

  at(): RefSample {
    const s = this.samples[this.i];
    if (s === undefined) throw new Error('ListIterator.at() past the end');
    return s;
  }

  adjustAtValue(): void {
    // Plain children are never adjusted.
  }
}

/** Reports value + errAdjust; a switch that would lower the counter raises errAdjust instead. */
export class CounterAdjustIterator implements AdjustableIterator {
  private errAdjust = 0;
  constructor(private readonly inner: RefIterator) {}

  next(): boolean {
    return this.inner.next();
  }

  seek(ts: number): boolean {
    return this.inner.seek(ts);
  }

  at(): RefSample {
    const [t, v] = this.inner.at();
    return [t, v + this.errAdjust];
  }

  adjustAtValue(lastValue: number): void {
    const v = this.at()[1];
    if (lastValue > v) this.errAdjust += lastValue - v;
  }
}

/** Penalty used for the side not picked when nothing has been emitted yet. */
export const INITIAL_PENALTY_MS = 5000;

/** The two-way penalty dedup iterator of §1.3. It is itself adjustable, so it chains for N > 2. */
export class PenaltyDedupIterator implements AdjustableIterator {
  private aOk: boolean;
  private bOk: boolean;
  private lastT = Number.NEGATIVE_INFINITY;
  private penA = 0;
  private penB = 0;
  private useA = true;
  private emitted = false;

  constructor(
    private readonly a: AdjustableIterator,
    private readonly b: AdjustableIterator,
  ) {
    this.aOk = a.next();
    this.bOk = b.next();
  }

  next(): boolean {
    const hadValue = this.emitted;
    const lastValue = hadValue ? this.at()[1] : 0;
    const lastUseA = this.useA;
    const ok = this.step();
    this.emitted = ok;
    // At a switch only the side now emitted is raised (promdedup; Thanos raises both live sides,
    // see src/dedup/penalty.ts for why that breaks rate() after a genuine reset).
    if (hadValue && this.useA !== lastUseA) this.adjustAtValue(lastValue);
    return ok;
  }

  private step(): boolean {
    const first = this.lastT === Number.NEGATIVE_INFINITY;
    // A child that ever reports "none" is never sought again.
    if (this.aOk) this.aOk = this.a.seek(first ? Number.NEGATIVE_INFINITY : this.lastT + 1 + this.penA);
    if (this.bOk) this.bOk = this.b.seek(first ? Number.NEGATIVE_INFINITY : this.lastT + 1 + this.penB);

    if (!this.aOk) {
      this.useA = false;
      if (this.bOk) {
        this.lastT = this.b.at()[0];
        this.penB = 0;
      }
      return this.bOk;
    }
    if (!this.bOk) {
      this.useA = true;
      this.lastT = this.a.at()[0];
      this.penA = 0;
      return true;
    }
    const ta = this.a.at()[0];
    const tb = this.b.at()[0];
    this.useA = ta <= tb;
    if (this.useA) {
      this.penB = first ? INITIAL_PENALTY_MS : 2 * (ta - this.lastT);
      this.penA = 0;
      this.lastT = ta;
    } else {
      this.penA = first ? INITIAL_PENALTY_MS : 2 * (tb - this.lastT);
      this.penB = 0;
      this.lastT = tb;
    }
    return true;
  }

  seek(ts: number): boolean {
    // Seek is Next() until the current sample reaches ts, so no switch is missed.
    if (this.emitted && this.at()[0] >= ts) return true;
    while (this.next()) {
      if (this.at()[0] >= ts) return true;
    }
    return false;
  }

  at(): RefSample {
    return this.useA ? this.a.at() : this.b.at();
  }

  adjustAtValue(lastValue: number): void {
    // Also as a child of an outer dedup iterator: the side currently emitted, if it has data.
    if (this.useA ? this.aOk : this.bOk) (this.useA ? this.a : this.b).adjustAtValue(lastValue);
  }
}

export interface MergeOptions {
  /** True for rate/irate/increase/resets: counter adjustment at switches (§1.5). */
  counter?: boolean;
}

/** Penalty-merges replicas given in order (the earlier replica wins ties), chained from the left. */
export function penaltyMerge(replicas: readonly (readonly RefSample[])[], opts: MergeOptions = {}): RefSample[] {
  if (replicas.length === 0) return [];
  const child = (s: readonly RefSample[]): AdjustableIterator =>
    opts.counter ? new CounterAdjustIterator(new ListIterator(s)) : new ListIterator(s);
  let it: AdjustableIterator = child(replicas[0]!);
  if (replicas.length === 1) return drain(it);
  for (let i = 1; i < replicas.length; i++) it = new PenaltyDedupIterator(it, child(replicas[i]!));
  return drain(it);
}

/** Chain merge (§1.4): union of timestamps, the first sample seen at a timestamp wins. */
export function chainMerge(replicas: readonly (readonly RefSample[])[]): RefSample[] {
  const all = replicas.flatMap((r, ri) => r.map((s, si) => ({ s, ri, si })));
  all.sort((x, y) => x.s[0] - y.s[0] || x.ri - y.ri || x.si - y.si);
  const out: RefSample[] = [];
  for (const { s } of all) if (out.length === 0 || out[out.length - 1]![0] !== s[0]) out.push(s);
  return out;
}

function drain(it: RefIterator): RefSample[] {
  const out: RefSample[] = [];
  while (it.next()) out.push(it.at());
  return out;
}
