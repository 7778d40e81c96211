/**
 * What info(v, {…}) fetches (Prometheus promql/info.go): the info series are selected by the
 * `__name__` matchers of the label selector (target_info when there are none, plus `.+_info` when
 * there are only negative ones, so storage never returns every non-info series) and its data-label
 * matchers, over the window of the first selector in `v` (its offset and `@`) widened by the
 * lookback delta. The selector node is synthetic and memoised per call, so the planner's fetch and
 * the evaluator's lookup meet on the same key.
 */
import type { Call, Expr, VectorSelector } from '../ast.js';
import { METRIC_NAME } from '../../model/labels.js';
import { LabelMatcher } from '../../model/matcher.js';
import type { SelectHints } from '../../storage/querier.js';
import type { Grid } from '../value.js';
import { resolveAt } from './context.js';

const TARGET_INFO = 'target_info';

interface InfoSelect {
  /** The select as a selector node (offset 0: info series are looked up at the step itself). */
  readonly node: VectorSelector;
  /** Inputs whose name matches all of these are info series themselves and are left alone. */
  readonly ignoreMatchers: readonly LabelMatcher[];
  /** The selector's other matchers by label name: the data labels to copy (all when empty). */
  readonly dataMatchers: ReadonlyMap<string, readonly LabelMatcher[]>;
}

const cache = new WeakMap<Call, InfoSelect>();

export function infoSelect(call: Call): InfoSelect {
  const hit = cache.get(call);
  if (hit) return hit;
  const given = call.args.length > 1 ? (call.args[1] as VectorSelector).matchers : [];
  const names = given.filter((m) => m.name === METRIC_NAME);
  const dataMatchers = new Map<string, LabelMatcher[]>();
  for (const m of given) {
    if (m.name === METRIC_NAME) continue;
    const list = dataMatchers.get(m.name);
    if (list) list.push(m);
    else dataMatchers.set(m.name, [m]);
  }
  let nameMatchers: LabelMatcher[];
  if (names.length === 0) nameMatchers = [new LabelMatcher('=', METRIC_NAME, TARGET_INFO)];
  else if (names.every((m) => m.type === '!=' || m.type === '!~')) nameMatchers = [...names, new LabelMatcher('=~', METRIC_NAME, '.+_info')];
  else nameMatchers = names;
  const node: VectorSelector = {
    kind: 'VectorSelector',
    name: '',
    matchers: [...nameMatchers, ...given.filter((m) => m.name !== METRIC_NAME)],
    offset: 0,
    at: null,
    pos: call.pos,
  };
  // Without an info selector, target_info inputs are left alone; a selector without `__name__`
  // matchers leaves every input to be enriched (even though target_info is what gets fetched).
  const ignoreMatchers = call.args.length > 1 && names.length === 0 ? [] : nameMatchers;
  const r: InfoSelect = { node, ignoreMatchers, dataMatchers };
  cache.set(call, r);
  return r;
}

/** The first vector selector in `e`, depth first (Prometheus parser.Inspect order). */
function firstSelector(e: Expr): VectorSelector | null {
  switch (e.kind) {
    case 'VectorSelector':
      return e;
    case 'MatrixSelector':
      return e.vector;
    case 'NumberLiteral':
    case 'StringLiteral':
      return null;
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'SubqueryExpr':
      return firstSelector(e.expr);
    case 'BinaryExpr':
      return firstSelector(e.lhs) ?? firstSelector(e.rhs);
    case 'AggregateExpr':
      return firstSelector(e.expr) ?? (e.param ? firstSelector(e.param) : null);
    case 'Call':
      for (const a of e.args) {
        const s = firstSelector(a);
        if (s) return s;
      }
      return null;
  }
}

/** [start, end] in ms of the info series' samples (Prometheus infoSelectHints). */
export function infoWindow(
  call: Call,
  grid: Grid,
  ctx: { readonly lookback: number; readonly queryStart: number; readonly queryEnd: number },
): [number, number] {
  const vs = firstSelector(call.args[0]!);
  const at = vs ? resolveAt(vs.at, ctx) : null;
  const offset = vs ? vs.offset : 0;
  const start = (at ?? grid.start) - (ctx.lookback - 1) - offset;
  const end = (at ?? grid.end) - offset;
  return [start, end];
}

export function infoHints(call: Call, grid: Grid, step: number, ctx: Parameters<typeof infoWindow>[2]): SelectHints {
  const [start, end] = infoWindow(call, grid, ctx);
  return { start, end, step, func: 'info', range: 0, grouping: [], by: false };
}
