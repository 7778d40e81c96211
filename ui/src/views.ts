/**
 * Result views: the tabs under the query box. Each view says which API request it makes for the
 * current controls and draws the answer. The table and graph views are built in.
 *
 * Extension point: a further view (e.g. the dedup provenance timeline of issue 8 item 2, drawn from
 * `dedup=explain` / `analyze=true` answers) is one more `ResultView` added with `registerResultView`
 * (see docs/ui.md); the query page, its URL state (`g0.tab=<id>`), the dedup/replica-label controls
 * and the warnings box work for it unchanged.
 */
import type { ApiSuccess } from './api';

/** The query page's controls, already parsed. Times are unix seconds. */
export interface QueryControls {
  readonly expr: string;
  /** Evaluation time (instant) or end of the range; the clock's now when the End field is empty. */
  readonly end: number;
  /** Range length in seconds. */
  readonly range: number;
  /** Step in seconds (the Step field, or about 250 points over the range). */
  readonly step: number;
  /** dedup=true (the default) or false: every replica's series with its replica label. */
  readonly dedup: boolean;
  /** replicaLabels[] for this request; empty: the server's --query.replica-label. */
  readonly replicaLabels: readonly string[];
}

export interface ViewRequest {
  readonly path: string;
  readonly params: URLSearchParams;
}

export interface ResultView {
  /** Tab id, also the `g0.tab` URL value. */
  readonly id: string;
  readonly title: string;
  /**
   * The request for these controls. `params` should start from `baseParams(c)` (which carries dedup
   * and replicaLabels[]); a view may override them, e.g. `dedup=explain`.
   */
  request(c: QueryControls): ViewRequest;
  /** Draws a success answer into `target` (emptied before). May return a clean-up for the next run. */
  render(target: HTMLElement, answer: ApiSuccess, c: QueryControls): void | (() => void);
}

/** dedup and replicaLabels[] as promdedup's API takes them; every request of the page carries them. */
export function dedupParams(dedup: boolean, replicaLabels: readonly string[]): URLSearchParams {
  const p = new URLSearchParams();
  p.set('dedup', dedup ? 'true' : 'false');
  for (const l of replicaLabels) p.append('replicaLabels[]', l);
  return p;
}

export function baseParams(c: QueryControls): URLSearchParams {
  const p = dedupParams(c.dedup, c.replicaLabels);
  p.set('query', c.expr);
  return p;
}

const views: ResultView[] = [];

export function registerResultView(view: ResultView): void {
  if (views.some((v) => v.id === view.id)) throw new Error(`result view ${view.id} registered twice`);
  views.push(view);
}

export function resultViews(): readonly ResultView[] {
  return views;
}
