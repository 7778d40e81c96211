/** Grouping of eval failures into causes, and the per-file summary table. */
import type { EvalOutcome } from './run.js';

type Failure = Extract<EvalOutcome, { status: 'fail' }>;

const NON_FUNCS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);

/** The outermost function or aggregation written in the expression, for grouping value diffs. */
export function mainFunction(expr: string): string {
  const m = /([a-zA-Z_][a-zA-Z0-9_]*)\s*\(/g;
  for (let r = m.exec(expr); r; r = m.exec(expr)) {
    if (!NON_FUNCS.has(r[1]!.toLowerCase())) return r[1]!.toLowerCase();
  }
  if (/\b(and|or|unless)\b/.test(expr)) return 'set operator';
  if (/[-+*/%^<>=!]/.test(expr.replace(/\{[^}]*\}|\[[^\]]*\]/g, ''))) return 'binary operator';
  return 'selector';
}

function normalise(s: string): string {
  return s
    .replace(/^\d+:\d+: parse error: /, '')
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, 'N')
    .slice(0, 90);
}

/** A short cause, e.g. "parse: unexpected …", "missing function foo", "range-mode: wrong value [rate]". */
export function failureCause(f: Failure): string {
  const msg = f.message.replace(/^[^:]*(query|mode)[^:]*: /, '');
  if (f.phase === 'parse') return `parse: ${normalise(f.message)}`;
  if (f.phase === 'crash') return `crash: ${normalise(msg)}`;
  const fn = /(?:unknown function with name|function) "([^"]+)"(?: is not supported)?/.exec(msg);
  if (fn && /unknown function|is not supported/.test(msg)) return `missing function ${fn[1]}`;
  const feature = /([a-z_]+) is not supported by this engine/.exec(msg);
  if (feature) return `unsupported by engine: ${feature[1]}`;
  const prefix = f.phase === 'instant' || f.phase === 'range' ? '' : `${f.phase}: `;
  const rules: Array<[RegExp, string]> = [
    [/^unexpected error: (.*)$/, 'unexpected error: $1'],
    [/^expected an error, got none/, 'expected an error, got none'],
    [/^expected error/, 'error text mismatch'],
    [/^expected (warn|info) annotations? (but none|matching)/, 'annotation: missing/mismatched $1'],
    [/^expected (warnings|info annotations) but got none/, 'annotation: missing $1'],
    [/^unexpected (warn|info|warning) annotation/, 'annotation: unexpected $1'],
    [/^unexpected metric/, 'extra series'],
    [/^expected metric .* not found/, 'missing series'],
    [/^expected metric .* at position/, 'wrong order'],
    [/^matrix not sorted/, 'matrix not sorted'],
    [/^expected \d+ points/, 'wrong point count'],
    [/^point \d+ .*expected timestamp/, 'wrong timestamps'],
    [/^(point \d+|expected .* but got|expected scalar .* but got)/, 'wrong value'],
    [/^expected (scalar|vector|string)/, 'wrong result type'],
  ];
  for (const [re, label] of rules) {
    const m = re.exec(msg);
    if (!m) continue;
    let cause = m[1] !== undefined && label.includes('$1') ? label.replace('$1', normalise(m[1])) : label;
    if (['wrong value', 'extra series', 'missing series', 'wrong point count'].includes(cause)) {
      cause += ` [${mainFunction(f.expr)}]`;
    }
    return prefix + cause;
  }
  return prefix + normalise(msg);
}

export interface CauseGroup {
  readonly cause: string;
  readonly count: number;
  readonly example: { readonly file: string; readonly line: number; readonly expr: string; readonly message: string };
}

export function groupFailures(results: ReadonlyMap<string, readonly EvalOutcome[]>): CauseGroup[] {
  const groups = new Map<string, { count: number; example: CauseGroup['example'] }>();
  for (const [file, outcomes] of results) {
    for (const o of outcomes) {
      if (o.status !== 'fail') continue;
      const cause = failureCause(o);
      const g = groups.get(cause);
      if (g) g.count++;
      else groups.set(cause, { count: 1, example: { file, line: o.line, expr: o.expr, message: o.message } });
    }
  }
  return [...groups].map(([cause, g]) => ({ cause, ...g })).sort((a, b) => b.count - a.count);
}

export interface FileCounts {
  readonly pass: number;
  readonly fail: number;
  readonly skip: number;
}

export function countOutcomes(outcomes: readonly EvalOutcome[]): FileCounts {
  let pass = 0;
  let fail = 0;
  let skip = 0;
  for (const o of outcomes) {
    if (o.status === 'pass') pass++;
    else if (o.status === 'fail') fail++;
    else skip++;
  }
  return { pass, fail, skip };
}

/** Skip reasons with counts, e.g. "native histogram: 120". */
export function skipReasons(results: ReadonlyMap<string, readonly EvalOutcome[]>): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const outcomes of results.values()) {
    for (const o of outcomes) {
      if (o.status !== 'skip') continue;
      const r = o.reason.startsWith('experimental syntax') ? `experimental syntax: ${normalise(o.reason.slice(31))}` : o.reason;
      m.set(r, (m.get(r) ?? 0) + 1);
    }
  }
  return [...m].sort((a, b) => b[1] - a[1]);
}

/** A fixed-width table: file, pass, fail, skip, with a total row. */
export function summaryTable(rows: ReadonlyArray<readonly [string, FileCounts | string]>): string {
  const lines = ['file                  pass  fail  skip'];
  const total = { pass: 0, fail: 0, skip: 0 };
  for (const [file, c] of rows) {
    if (typeof c === 'string') {
      lines.push(`${file.padEnd(20)}  ${c}`);
      continue;
    }
    total.pass += c.pass;
    total.fail += c.fail;
    total.skip += c.skip;
    lines.push(`${file.padEnd(20)} ${String(c.pass).padStart(5)} ${String(c.fail).padStart(5)} ${String(c.skip).padStart(5)}`);
  }
  lines.push(`${'TOTAL'.padEnd(20)} ${String(total.pass).padStart(5)} ${String(total.fail).padStart(5)} ${String(total.skip).padStart(5)}`);
  return lines.join('\n');
}
