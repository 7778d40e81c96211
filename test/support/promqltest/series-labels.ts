/** The label part of series and expectation lines: `name{a="b", "utf8.name"="c"}`, `{…}`, `name`. */
import { labelsFromPairs, METRIC_NAME, type Labels } from '../../../src/model/labels.js';
import { readQuoted } from './strings.js';

const NAME_RE = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME_RE = /[a-zA-Z_][a-zA-Z0-9_]*/y;

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return i;
}

function readRe(re: RegExp, s: string, i: number): string | null {
  re.lastIndex = i;
  const m = re.exec(s);
  return m ? m[0] : null;
}

/**
 * Parses the labels at the start of `line`; returns them (sorted) and the rest of the line.
 * Throws on malformed label syntax.
 */
export function parseSeriesLabels(line: string): { labels: Labels; rest: string } {
  const pairs: Array<[string, string]> = [];
  let i = skipSpace(line, 0);
  const name = readRe(NAME_RE, line, i);
  if (name !== null) {
    pairs.push([METRIC_NAME, name]);
    i += name.length;
  }
  if (line[i] === '{') {
    i = parseBraces(line, i + 1, pairs);
  } else if (name === null) {
    throw new Error(`expected a metric name or '{' in ${JSON.stringify(line)}`);
  }
  return { labels: labelsFromPairs(pairs), rest: line.slice(i).trim() };
}

/** Parses `a="b", …}` from just after the `{`; returns the index after the `}`. */
function parseBraces(line: string, from: number, pairs: Array<[string, string]>): number {
  let i = from;
  for (;;) {
    i = skipSpace(line, i);
    if (line[i] === '}') return i + 1;
    let label: string;
    if (line[i] === '"' || line[i] === "'" || line[i] === '`') {
      const q = readQuoted(line, i);
      label = q.value;
      i = skipSpace(line, q.end);
      if (line[i] === ',' || line[i] === '}') {
        // A bare quoted string is the metric name ({"my.metric", a="b"}).
        pairs.push([METRIC_NAME, label]);
        if (line[i] === ',') i++;
        continue;
      }
    } else {
      const id = readRe(LABEL_NAME_RE, line, i);
      if (id === null) throw new Error(`unexpected character in label set at ${i}: ${JSON.stringify(line)}`);
      label = id;
      i = skipSpace(line, i + id.length);
    }
    if (line[i] !== '=') throw new Error(`expected '=' after label ${label} in ${JSON.stringify(line)}`);
    i = skipSpace(line, i + 1);
    const v = readQuoted(line, i);
    pairs.push([label, v.value]);
    i = skipSpace(line, v.end);
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new Error(`expected ',' or '}' in ${JSON.stringify(line)}`);
  }
}
