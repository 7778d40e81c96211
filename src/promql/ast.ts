/**
 * Typed PromQL syntax tree, produced by the parser from the lezer-promql tree and consumed by the
 * evaluator. Durations and times are in milliseconds. Positions are UTF-16 offsets into the query
 * text (start inclusive, end exclusive), used in error messages and annotations.
 */
import type { LabelMatcher } from '../model/matcher.js';

export type ValueType = 'scalar' | 'string' | 'vector' | 'matrix';

export interface PosRange {
  readonly start: number;
  readonly end: number;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | ParenExpr
  | UnaryExpr
  | BinaryExpr
  | AggregateExpr
  | Call;

/** `@ <time>`, `@ start()`, `@ end()`. */
export type AtModifier =
  | { readonly kind: 'time'; readonly ms: number }
  | { readonly kind: 'start' }
  | { readonly kind: 'end' };

export interface NumberLiteral {
  readonly kind: 'NumberLiteral';
  readonly value: number;
  readonly pos: PosRange;
}

export interface StringLiteral {
  readonly kind: 'StringLiteral';
  readonly value: string;
  readonly pos: PosRange;
}

/**
 * A duration expression that uses step() or range() (experimental, 3.12), which depend on the query
 * and so are folded only when it runs (eval/durations.ts). Values are in seconds, as Prometheus
 * computes them; constants keep their exact ms when they were duration literals.
 */
export type DurationExpr =
  | { readonly kind: 'const'; readonly seconds: number; readonly exactMs: number | null }
  | { readonly kind: 'step' | 'range' }
  | { readonly kind: 'neg'; readonly expr: DurationExpr }
  | { readonly kind: 'binary'; readonly op: '+' | '-' | '*' | '/' | '%' | '^'; readonly lhs: DurationExpr; readonly rhs: DurationExpr }
  | { readonly kind: 'min_of' | 'max_of'; readonly a: DurationExpr; readonly b: DurationExpr }
  | { readonly kind: 'paren'; readonly expr: DurationExpr };

/** Query-dependent durations of a node; the numeric fields hold 0 until they are resolved. */
export interface DeferredDurations {
  readonly range?: DurationExpr;
  readonly step?: DurationExpr;
  readonly offset?: DurationExpr;
}

export interface VectorSelector {
  readonly kind: 'VectorSelector';
  /** Metric name when written outside the braces (also present as a `__name__` matcher). */
  readonly name: string;
  /** All matchers, including the `__name__="..."` one implied by `name`. */
  readonly matchers: readonly LabelMatcher[];
  /** `offset` in ms (may be negative); 0 when absent. */
  readonly offset: number;
  readonly at: AtModifier | null;
  readonly pos: PosRange;
  readonly deferred?: DeferredDurations;
}

export interface MatrixSelector {
  readonly kind: 'MatrixSelector';
  /** Offset and `@` of a range selector live on the inner vector selector, as in Prometheus. */
  readonly vector: VectorSelector;
  readonly range: number;
  readonly pos: PosRange;
  readonly deferred?: DeferredDurations;
}

export interface SubqueryExpr {
  readonly kind: 'SubqueryExpr';
  readonly expr: Expr;
  readonly range: number;
  /** Resolution in ms; 0 means "use the default evaluation interval". */
  readonly step: number;
  readonly offset: number;
  readonly at: AtModifier | null;
  readonly pos: PosRange;
  readonly deferred?: DeferredDurations;
}

export interface ParenExpr {
  readonly kind: 'ParenExpr';
  readonly expr: Expr;
  readonly pos: PosRange;
}

export interface UnaryExpr {
  readonly kind: 'UnaryExpr';
  readonly op: '+' | '-';
  readonly expr: Expr;
  readonly pos: PosRange;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  readonly card: Cardinality;
  /** True for `on(...)`, false for `ignoring(...)` or no clause. */
  readonly on: boolean;
  readonly matchingLabels: readonly string[];
  /** Labels listed in `group_left(...)` / `group_right(...)`. */
  readonly include: readonly string[];
}

export interface BinaryExpr {
  readonly kind: 'BinaryExpr';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly returnBool: boolean;
  /** Set when both sides are vectors (defaults filled in: one-to-one, or many-to-many for set ops). */
  readonly matching: VectorMatching | null;
  readonly pos: PosRange;
}

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'count_values'
  | 'quantile'
  | 'limitk'
  | 'limit_ratio';

export interface AggregateExpr {
  readonly kind: 'AggregateExpr';
  readonly op: AggregateOp;
  readonly expr: Expr;
  /** The parameter of topk/bottomk/quantile/count_values/limitk/limit_ratio, else null. */
  readonly param: Expr | null;
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly pos: PosRange;
}

export interface FunctionSignature {
  readonly name: string;
  readonly argTypes: readonly ValueType[];
  /** 0: exact arity; n > 0: up to n more arguments of the last type; -1: any number more. */
  readonly variadic: number;
  readonly returnType: ValueType;
  /** Experimental in Prometheus 3.x (behind --enable-feature=promql-experimental-functions). */
  readonly experimental?: boolean;
}

export interface Call {
  readonly kind: 'Call';
  readonly func: FunctionSignature;
  readonly args: readonly Expr[];
  readonly pos: PosRange;
}

/** The value type an expression evaluates to. */
/** Types of binary expressions, once computed: long flat chains would otherwise cost O(n²). */
const binaryTypes = new WeakMap<Expr, ValueType>();

export function exprType(e: Expr): ValueType {
  switch (e.kind) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'ParenExpr':
    case 'UnaryExpr':
      return exprType(e.expr);
    case 'BinaryExpr': {
      let t = binaryTypes.get(e);
      if (t === undefined) {
        t = exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
        binaryTypes.set(e, t);
      }
      return t;
    }
    case 'AggregateExpr':
      return 'vector';
    case 'Call':
      return e.func.returnType;
  }
}
