/** Checks of expected errors and annotations (warn/info), as the reference runner does them. */
import type { QueryResult } from '../../../src/promql/types.js';
import type { EvalCmd, ExpectAnno } from './types.js';

/** Annotation texts from the API carry a ` (line:col)` suffix; the reference compares without it. */
export function stripPosition(s: string): string {
  return s.replace(/ \(\d+:\d+\)$/, '');
}

function annoMatches(e: ExpectAnno, text: string): boolean {
  const candidates = [text, stripPosition(text)];
  if (e.message !== null) return candidates.includes(e.message);
  if (e.regex !== null) return candidates.some((c) => e.regex!.test(c));
  return true;
}

function describe(e: ExpectAnno): string {
  return e.message !== null ? `message ${JSON.stringify(e.message)}` : e.regex ? `pattern /${e.regex.source}/` : 'any';
}

export function isFailEval(cmd: EvalCmd): boolean {
  return cmd.fail || cmd.expectFail.length > 0;
}

export function isOrderedEval(cmd: EvalCmd): boolean {
  return cmd.ordered || cmd.expectOrdered;
}

/** An error was returned and the eval expects one: does it match? Returns a diff or null. */
export function checkExpectedFailure(cmd: EvalCmd, message: string): string | null {
  if (cmd.expectedFailMessage !== null && cmd.expectedFailMessage !== '' && cmd.expectedFailMessage !== message) {
    return `expected error ${JSON.stringify(cmd.expectedFailMessage)}, got ${JSON.stringify(message)}`;
  }
  if (cmd.expectedFailRegexp !== null && !cmd.expectedFailRegexp.test(message)) {
    return `expected error matching /${cmd.expectedFailRegexp.source}/, got ${JSON.stringify(message)}`;
  }
  const f = cmd.expectFail[0];
  if (f && !annoMatches(f, message)) return `expected error matching ${describe(f)}, got ${JSON.stringify(message)}`;
  return null;
}

function checkKind(kind: 'warn' | 'info', expected: readonly ExpectAnno[], actual: readonly string[]): string | null {
  if (expected.length === 0) return null;
  if (actual.length === 0) return `expected ${kind} annotations but none were found`;
  for (const e of expected) {
    if (!actual.some((a) => annoMatches(e, a))) {
      return `expected ${kind} annotation matching ${describe(e)}, found ${JSON.stringify(actual)}`;
    }
  }
  for (const a of actual) {
    if (!expected.some((e) => annoMatches(e, a))) return `unexpected ${kind} annotation ${JSON.stringify(a)}`;
  }
  return null;
}

/** Checks warnings/infos of a successful query against the eval's expectations. */
export function checkAnnotations(cmd: EvalCmd, res: QueryResult): string | null {
  if (cmd.warn && res.warnings.length === 0) return 'expected warnings but got none';
  if (cmd.info && res.infos.length === 0) return 'expected info annotations but got none';
  const w = checkKind('warn', cmd.expectWarn, res.warnings);
  if (w) return w;
  const i = checkKind('info', cmd.expectInfo, res.infos);
  if (i) return i;
  if (cmd.expectNoWarn && res.warnings.length > 0) return `unexpected warning annotations: ${JSON.stringify(res.warnings)}`;
  if (cmd.expectNoInfo && res.infos.length > 0) return `unexpected info annotations: ${JSON.stringify(res.infos)}`;
  return null;
}
