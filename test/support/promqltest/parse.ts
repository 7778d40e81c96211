/**
 * Parser for Prometheus promqltest scripts (`*.test`, see docs in the conformance data README):
 * `load`/`load_with_nhcb` blocks, `clear`, `eval` commands with their expectation lines.
 * PromQL expressions are kept as text; the runner parses them with the project's parser.
 */
import { parseDuration } from './duration.js';
import { parseSeriesLabels } from './series-labels.js';
import { unquote } from './strings.js';
import {
  DslError,
  type Command,
  type EvalCmd,
  type ExpectAnno,
  type ExpectedSeries,
  type LoadCmd,
  type SeriesDef,
  type TestScript,
} from './types.js';
import { expandSequence, parseNumberLine } from './values.js';

export { DslError } from './types.js';
export type * from './types.js';

const LOAD_RE = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const EVAL_INSTANT_RE = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const EVAL_RANGE_RE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const EXPECT_RE = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const EXPECT_RANGE_RE = /^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;
const HISTOGRAM_LITERAL = '{{';

/** Trimmed lines; comment lines become blank (blank lines end blocks). */
function scriptLines(text: string): string[] {
  return text.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
}

/** Parses a whole script; throws DslError (with a 1-based line) when it is malformed. */
export function parseTestScript(text: string): TestScript {
  const lines = scriptLines(text);
  const commands: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '') continue;
    const word = l.split(/[\t ]+/, 1)[0]!.toLowerCase();
    if (word === 'clear') {
      commands.push({ kind: 'clear', line: i + 1 });
    } else if (word.startsWith('load')) {
      const r = parseLoad(lines, i);
      commands.push(r.cmd);
      i = r.last;
    } else if (word.startsWith('eval')) {
      const r = parseEval(lines, i);
      commands.push(r.cmd);
      i = r.last;
    } else {
      throw new DslError(i + 1, `invalid command ${JSON.stringify(l)}`);
    }
  }
  return { commands };
}

function wrap<T>(line: number, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof DslError) throw err;
    throw new DslError(line, (err as Error).message);
  }
}

/** True for `metric{…}@st <offsets>` and standalone `@st <offsets>` lines. */
export function isStartTimestampLine(line: string): boolean {
  const first = line.split(/[\t ]+/, 1)[0]!;
  return first.endsWith('@st') && /[\t ]/.test(line);
}

function parseLoad(lines: string[], at: number): { cmd: LoadCmd; last: number } {
  const m = LOAD_RE.exec(lines[at]!);
  if (!m) throw new DslError(at + 1, 'invalid load command. (load[_with_nhcb] <step:duration>)');
  const intervalMs = wrap(at + 1, () => parseDuration(m[2]!));
  const series: SeriesDef[] = [];
  let stDefault = false;
  let stPending = false;
  let i = at;
  while (i + 1 < lines.length && lines[i + 1] !== '') {
    i++;
    const line = lines[i]!;
    if (isStartTimestampLine(line)) {
      if (line.startsWith('@st')) stDefault = true;
      else stPending = true;
      continue;
    }
    const def = wrap(i + 1, () => parseSeriesDef(line, i + 1));
    const unsupported = def.unsupported ?? (stPending || stDefault ? 'start timestamps' : null);
    series.push({ ...def, unsupported });
    stPending = false;
  }
  return { cmd: { kind: 'load', line: at + 1, intervalMs, withNhcb: m[1] === 'with_nhcb', series }, last: i };
}

function parseSeriesDef(line: string, lineNo: number): SeriesDef {
  const { labels, rest } = parseSeriesLabels(line);
  if (rest.includes(HISTOGRAM_LITERAL)) return { labels, values: [], line: lineNo, unsupported: 'native histogram' };
  return { labels, values: expandSequence(rest), line: lineNo, unsupported: null };
}

type EvalDraft = { -readonly [K in keyof EvalCmd]: EvalCmd[K] };

function newEval(line: number, expr: string, isRange: boolean, start: number, end: number, step: number): EvalDraft {
  return {
    kind: 'eval',
    line,
    expr,
    isRange,
    evalTime: end,
    start,
    end,
    step,
    expectRangeVector: false,
    fail: false,
    warn: false,
    info: false,
    ordered: false,
    expectedFailMessage: null,
    expectedFailRegexp: null,
    expectFail: [],
    expectWarn: [],
    expectInfo: [],
    expectNoWarn: false,
    expectNoInfo: false,
    expectOrdered: false,
    expectedScalar: null,
    expectedString: null,
    expected: [],
    excludeFromRangeQuery: false,
    unsupported: null,
  };
}

function rangeTimes(from: string, to: string, step: string): [number, number, number] {
  const start = parseDuration(from);
  const end = parseDuration(to);
  if (end < start) throw new Error(`invalid test definition, end timestamp (${to}) is before start timestamp (${from})`);
  return [start, end, parseDuration(step)];
}

function compileRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    throw new Error(`invalid regex ${pattern}`);
  }
}

function parseEvalHeader(line: string, lineNo: number): EvalDraft {
  const inst = EVAL_INSTANT_RE.exec(line);
  const range = inst ? null : EVAL_RANGE_RE.exec(line);
  if (!inst && !range) {
    throw new DslError(lineNo, `invalid evaluation command ${JSON.stringify(line)}`);
  }
  let cmd: EvalDraft;
  let mod: string | undefined;
  if (inst) {
    mod = inst[1];
    const t = wrap(lineNo, () => parseDuration(inst[2] ?? ''));
    cmd = newEval(lineNo, inst[3]!, false, t, t, 0);
  } else {
    mod = range![1];
    const [s, e, st] = wrap(lineNo, () => rangeTimes(range![2]!, range![3]!, range![4]!));
    cmd = newEval(lineNo, range![5]!, true, s, e, st);
  }
  if (mod === 'ordered') cmd.ordered = true;
  else if (mod === 'fail') cmd.fail = true;
  else if (mod === 'warn') cmd.warn = true;
  else if (mod === 'info') cmd.info = true;
  return cmd;
}

function parseEval(lines: string[], at: number): { cmd: EvalCmd; last: number } {
  const cmd = parseEvalHeader(lines[at]!, at + 1);
  const expected: ExpectedSeries[] = [];
  const fail: ExpectAnno[] = [];
  const warn: ExpectAnno[] = [];
  const info: ExpectAnno[] = [];
  let pos = 0;
  let i = at;
  while (i + 1 < lines.length && lines[i + 1] !== '') {
    i++;
    const line = lines[i]!;
    const lineNo = i + 1;
    if (cmd.fail && line.startsWith('expected_fail_message')) {
      cmd.expectedFailMessage = line.slice('expected_fail_message'.length).trim();
      break;
    }
    if (cmd.fail && line.startsWith('expected_fail_regexp')) {
      cmd.expectedFailRegexp = wrap(lineNo, () => compileRegex(line.slice('expected_fail_regexp'.length).trim()));
      break;
    }
    if (line.startsWith('expect range vector')) {
      const m = EXPECT_RANGE_RE.exec(line);
      if (!m) throw new DslError(lineNo, `invalid range vector definition ${JSON.stringify(line)}`);
      const [s, e, st] = wrap(lineNo, () => rangeTimes(m[1]!, m[2]!, m[3]!));
      Object.assign(cmd, { start: s, end: e, step: st, evalTime: e, expectRangeVector: true });
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (line.startsWith('expect string')) {
      cmd.expectedString = wrap(lineNo, () => unquote(line.slice('expect string'.length).trim()));
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (line.split(' ', 1)[0] === 'expect') {
      parseExpectLine(line, lineNo, cmd, { fail, warn, info });
      continue;
    }
    const num = parseNumberLine(line);
    if (num !== null) {
      cmd.expectedScalar = num;
      break;
    }
    pos++;
    if (line.includes(HISTOGRAM_LITERAL)) {
      cmd.unsupported = 'native histogram';
      continue;
    }
    const def = wrap(lineNo, () => parseSeriesLabels(line));
    const values = wrap(lineNo, () => expandSequence(def.rest));
    if (values.length > 1 && !cmd.isRange && !cmd.expectRangeVector) {
      throw new DslError(lineNo, 'expecting multiple values in instant evaluation not allowed');
    }
    expected.push({ labels: def.labels, values, pos, line: lineNo });
  }
  cmd.expected = expected;
  cmd.expectFail = fail;
  cmd.expectWarn = warn;
  cmd.expectInfo = info;
  validate(cmd, at + 1);
  return { cmd, last: i };
}

function parseExpectLine(
  line: string,
  lineNo: number,
  cmd: EvalDraft,
  lists: { fail: ExpectAnno[]; warn: ExpectAnno[]; info: ExpectAnno[] },
): void {
  const m = EXPECT_RE.exec(line);
  if (!m) throw new DslError(lineNo, 'invalid expect statement, must match `expect <type> <match_type>: <string>`');
  const text = m[3]?.trim();
  const anno: ExpectAnno =
    m[2] === 'msg'
      ? { message: text!, regex: null }
      : m[2] === 'regex'
        ? { message: null, regex: wrap(lineNo, () => compileRegex(text!)) }
        : { message: null, regex: null };
  switch (m[1]) {
    case 'ordered':
      cmd.expectOrdered = true;
      break;
    case 'fail':
      lists.fail.push(anno);
      break;
    case 'warn':
      lists.warn.push(anno);
      break;
    case 'info':
      lists.info.push(anno);
      break;
    case 'no_warn':
      cmd.expectNoWarn = true;
      break;
    case 'no_info':
      cmd.expectNoInfo = true;
      break;
  }
}

function validate(cmd: EvalDraft, lineNo: number): void {
  if (cmd.expectInfo.length > 0 && cmd.expectNoInfo) throw new DslError(lineNo, 'info and no_info cannot be used together');
  if (cmd.expectWarn.length > 0 && cmd.expectNoWarn) throw new DslError(lineNo, 'warn and no_warn cannot be used together');
  if (cmd.expectFail.length > 1) throw new DslError(lineNo, 'multiple expect fail lines are not allowed');
}
