/**
 * The PromQL function table: every Prometheus 3.x function (as of v3.14) plus `holt_winters`,
 * which only exists in 2.x (see FUNCTIONS_2X_ONLY). Argument and return types follow
 * promql/parser/functions.go.
 */
import type { FunctionSignature, ValueType } from './ast.js';

const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

interface Extra {
  readonly variadic?: number;
  readonly experimental?: boolean;
}

function sig(name: string, argTypes: readonly ValueType[], returnType: ValueType, extra: Extra = {}): FunctionSignature {
  const s: FunctionSignature = {
    name,
    argTypes: Object.freeze([...argTypes]),
    variadic: extra.variadic ?? 0,
    returnType,
    ...(extra.experimental ? { experimental: true } : {}),
  };
  return Object.freeze(s);
}

const EXP = { experimental: true } as const;

/** Functions taking one instant vector and returning one (math and histogram helpers). */
const VECTOR_TO_VECTOR = [
  'abs', 'absent', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'ceil', 'cos', 'cosh', 'deg',
  'exp', 'floor', 'histogram_avg', 'histogram_count', 'histogram_stddev', 'histogram_stdvar',
  'histogram_sum', 'ln', 'log10', 'log2', 'rad', 'sgn', 'sin', 'sinh', 'sort', 'sort_desc', 'sqrt',
  'tan', 'tanh', 'timestamp',
];

/** Range-vector functions returning an instant vector. */
const MATRIX_TO_VECTOR = [
  'absent_over_time', 'avg_over_time', 'changes', 'count_over_time', 'delta', 'deriv',
  'first_over_time', 'idelta', 'increase', 'irate', 'last_over_time', 'max_over_time',
  'min_over_time', 'present_over_time', 'rate', 'resets', 'stddev_over_time', 'stdvar_over_time',
  'sum_over_time',
];

const EXPERIMENTAL_MATRIX_TO_VECTOR = [
  'mad_over_time', 'ts_of_first_over_time', 'ts_of_last_over_time', 'ts_of_max_over_time',
  'ts_of_min_over_time',
];

/** Date functions: an optional instant vector (default `vector(time())`). */
const DATE_FUNCTIONS = ['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year'];

const ALL: FunctionSignature[] = [
  ...VECTOR_TO_VECTOR.map((n) => sig(n, [V], V)),
  ...MATRIX_TO_VECTOR.map((n) => sig(n, [M], V)),
  ...EXPERIMENTAL_MATRIX_TO_VECTOR.map((n) => sig(n, [M], V, EXP)),
  ...DATE_FUNCTIONS.map((n) => sig(n, [V], V, { variadic: 1 })),
  sig('clamp', [V, S, S], V),
  sig('clamp_max', [V, S], V),
  sig('clamp_min', [V, S], V),
  sig('double_exponential_smoothing', [M, S, S], V, EXP),
  sig('histogram_fraction', [S, S, V], V),
  sig('histogram_quantile', [S, V], V),
  sig('histogram_quantiles', [V, STR, S, S], V, { variadic: 9, experimental: true }),
  sig('info', [V, V], V, { variadic: 1, experimental: true }),
  sig('label_join', [V, STR, STR, STR], V, { variadic: -1 }),
  sig('label_replace', [V, STR, STR, STR, STR], V),
  sig('pi', [], S),
  sig('predict_linear', [M, S], V),
  sig('quantile_over_time', [S, M], V),
  sig('round', [V, S], V, { variadic: 1 }),
  sig('scalar', [V], S),
  sig('sort_by_label', [V, STR], V, { variadic: -1, experimental: true }),
  sig('sort_by_label_desc', [V, STR], V, { variadic: -1, experimental: true }),
  sig('start_timestamp', [V], V, EXP),
  sig('time', [], S),
  sig('vector', [S], V),
  // Query-range accessors (3.12+) and scalar min/max (3.13+), all experimental.
  sig('start', [], S, EXP),
  sig('end', [], S, EXP),
  sig('step', [], S, EXP),
  sig('range', [], S, EXP),
  sig('min_of', [S, S], S, EXP),
  sig('max_of', [S, S], S, EXP),
  // 2.x only; renamed double_exponential_smoothing in 3.0.
  sig('holt_winters', [M, S, S], V),
];

export const FUNCTIONS: ReadonlyMap<string, FunctionSignature> = new Map(
  ALL.sort((a, b) => (a.name < b.name ? -1 : 1)).map((f) => [f.name, f]),
);

/** Names that only exist when compat is '2'. */
export const FUNCTIONS_2X_ONLY: ReadonlySet<string> = new Set(['holt_winters']);

/** The function `name` as available under `compat`, or undefined. */
export function lookupFunction(name: string, compat: '2' | '3'): FunctionSignature | undefined {
  if (compat !== '2' && FUNCTIONS_2X_ONLY.has(name)) return undefined;
  return FUNCTIONS.get(name);
}
