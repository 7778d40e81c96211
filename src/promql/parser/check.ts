/**
 * Type checking of a parsed query, in the order of Prometheus' checkAST so that the first error
 * reported is the same. Also finalises BinaryExpr matching: many-to-many for set operators, and
 * null unless both operands are instant vectors.
 */
import { exprType, type BinaryExpr, type Expr, type ValueType, type VectorSelector } from '../ast.js';
import { ParseError } from '../errors.js';
import { METRIC_NAME } from '../../model/labels.js';

const COMPARISON_OPS: ReadonlySet<string> = new Set(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS: ReadonlySet<string> = new Set(['and', 'or', 'unless']);
const SCALAR_PARAM_AGGREGATORS: ReadonlySet<string> = new Set(['topk', 'bottomk', 'quantile', 'limitk', 'limit_ratio']);

/** Prometheus' DocumentedType. */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

export class TypeChecker {
  constructor(private readonly query: string) {}

  private fail(message: string, pos: number): never {
    throw new ParseError(message, pos, this.query);
  }

  /** Checks `e` and returns it with binary matching finalised. */
  check(e: Expr, bypassEmptyMatcherCheck = false): Expr {
    switch (e.kind) {
      case 'NumberLiteral':
      case 'StringLiteral':
        return e;
      case 'VectorSelector':
        this.checkSelector(e, bypassEmptyMatcherCheck);
        return e;
      case 'MatrixSelector':
        this.checkSelector(e.vector, false);
        return e;
      case 'SubqueryExpr': {
        const inner = this.check(e.expr);
        const t = exprType(inner);
        if (t !== 'vector') this.fail(`subquery is only allowed on instant vector, got ${t} instead`, e.pos.start);
        return { ...e, expr: inner };
      }
      case 'ParenExpr':
        return { ...e, expr: this.check(e.expr) };
      case 'UnaryExpr': {
        const inner = this.check(e.expr);
        const t = exprType(inner);
        if (t !== 'scalar' && t !== 'vector') {
          this.fail(`unary expression only allowed on expressions of type scalar or instant vector, got "${documentedType(t)}"`, e.pos.start);
        }
        return { ...e, expr: inner };
      }
      case 'BinaryExpr':
        return this.checkBinary(e);
      case 'AggregateExpr': {
        const inner = this.expectType(e.expr, 'vector', 'aggregation expression');
        let param = e.param;
        if (param && SCALAR_PARAM_AGGREGATORS.has(e.op)) param = this.expectType(param, 'scalar', 'aggregation parameter');
        if (param && e.op === 'count_values') param = this.expectType(param, 'string', 'aggregation parameter');
        return { ...e, expr: inner, param };
      }
      case 'Call':
        return this.checkCall(e);
    }
  }

  private expectType(e: Expr, want: ValueType, context: string): Expr {
    const checked = this.check(e);
    const t = exprType(checked);
    if (t !== want) this.fail(`expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`, e.pos.start);
    return checked;
  }

  private checkSelector(vs: VectorSelector, bypassEmptyMatcherCheck: boolean): void {
    if (vs.name !== '') {
      // The first matcher is the one implied by the name written outside the braces.
      for (let i = 1; i < vs.matchers.length; i++) {
        const m = vs.matchers[i]!;
        if (m.name === METRIC_NAME) {
          this.fail(`metric name must not be set twice: ${JSON.stringify(vs.name)} or ${JSON.stringify(m.value)}`, vs.pos.start);
        }
      }
      return;
    }
    if (!bypassEmptyMatcherCheck && vs.matchers.every((m) => m.matchesEmpty())) {
      this.fail('vector selector must contain at least one non-empty matcher', vs.pos.start);
    }
  }

  private checkBinary(e: BinaryExpr): Expr {
    const lhs = this.check(e.lhs);
    const rhs = this.check(e.rhs);
    const lt = exprType(lhs);
    const rt = exprType(rhs);
    const opPos = this.operatorPos(e);
    const isComparison = COMPARISON_OPS.has(e.op);
    const isSet = SET_OPS.has(e.op);
    if (e.returnBool && !isComparison) this.fail('bool modifier can only be used on comparison operators', opPos);
    if (isComparison && !e.returnBool && lt === 'scalar' && rt === 'scalar') {
      this.fail('comparisons between scalars must use BOOL modifier', opPos);
    }
    let matching = e.matching;
    if (matching && isSet && matching.card === 'one-to-one') matching = { ...matching, card: 'many-to-many' };
    if (matching?.on) {
      for (const l of matching.matchingLabels) {
        if (matching.include.includes(l)) this.fail(`label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`, opPos);
      }
    }
    if (lt !== 'scalar' && lt !== 'vector') this.fail('binary expression must contain only scalar and instant vector types', lhs.pos.start);
    if (rt !== 'scalar' && rt !== 'vector') this.fail('binary expression must contain only scalar and instant vector types', rhs.pos.start);
    if (lt !== 'vector' || rt !== 'vector') {
      if (matching && matching.matchingLabels.length > 0) this.fail('vector matching only allowed between instant vectors', e.pos.start);
      matching = null;
    } else if (isSet && matching && (matching.card === 'one-to-many' || matching.card === 'many-to-one')) {
      this.fail(`no grouping allowed for "${e.op}" operation`, e.pos.start);
    }
    if ((lt === 'scalar' || rt === 'scalar') && isSet) {
      this.fail(`set operator "${e.op}" not allowed in binary scalar expression`, e.pos.start);
    }
    return { ...e, lhs, rhs, matching };
  }

  /** Start of the operator: first non-space after the left operand. */
  private operatorPos(e: BinaryExpr): number {
    let p = e.lhs.pos.end;
    while (p < this.query.length && /\s/.test(this.query[p]!)) p++;
    return p;
  }

  private checkCall(e: Extract<Expr, { kind: 'Call' }>): Expr {
    const f = e.func;
    const nargs = f.argTypes.length;
    const name = JSON.stringify(f.name);
    if (f.variadic === 0) {
      if (nargs !== e.args.length) this.fail(`expected ${nargs} argument(s) in call to ${name}, got ${e.args.length}`, e.pos.start);
    } else {
      const min = nargs - 1;
      if (min > e.args.length) {
        this.fail(`expected at least ${min} argument(s) in call to ${name}, got ${e.args.length}`, e.pos.start);
      } else if (f.variadic > 0 && min + f.variadic < e.args.length) {
        this.fail(`expected at most ${min + f.variadic} argument(s) in call to ${name}, got ${e.args.length}`, e.pos.start);
      }
    }
    let infoSelectorArg = false;
    if (f.name === 'info' && e.args.length > 1) {
      const second = e.args[1]!;
      const t = exprType(second);
      if (t !== 'vector') this.fail(`expected type instant vector in call to function "info", got ${documentedType(t)}`, e.pos.start);
      if (second.kind !== 'VectorSelector') this.fail('expected label selectors only', second.pos.start);
      if (second.name !== '') this.fail('expected label selectors only, got vector selector instead', second.pos.start);
      infoSelectorArg = true;
    }
    const args = e.args.map((arg, i) => {
      const idx = i >= nargs ? nargs - 1 : i;
      const checked = this.check(arg, infoSelectorArg && i === 1);
      if (i >= nargs && f.variadic === 0) return checked;
      const t = exprType(checked);
      const want = f.argTypes[idx]!;
      if (t !== want) this.fail(`expected type ${documentedType(want)} in call to function ${name}, got ${documentedType(t)}`, arg.pos.start);
      return checked;
    });
    return { ...e, args };
  }
}
