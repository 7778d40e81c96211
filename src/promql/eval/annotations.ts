/**
 * PromQL annotations (Prometheus util/annotations): deduplicated warning/info texts, each ending
 * with the `(line:col)` position of the expression that caused it.
 */
import type { PosRange } from '../ast.js';
import { goFloatG } from './goformat.js';

export class Annotations {
  readonly warnings = new Set<string>();
  readonly infos = new Set<string>();

  constructor(private readonly query: string) {}

  warn(text: string, pos: PosRange | null): void {
    this.warnings.add(`PromQL warning: ${text}${this.where(pos)}`);
  }

  info(text: string, pos: PosRange | null): void {
    this.infos.add(`PromQL info: ${text}${this.where(pos)}`);
  }

  private where(pos: PosRange | null): string {
    if (!pos || this.query === '') return '';
    let line = 1;
    let col = 1;
    for (let i = 0; i < pos.start && i < this.query.length; i++) {
      if (this.query[i] === '\n') {
        line++;
        col = 1;
      } else col++;
    }
    return ` (${line}:${col})`;
  }
}

const q = JSON.stringify;

export const annotationText = {
  possibleNonCounter: (name: string) =>
    `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${q(name)}`,
  invalidQuantile: (v: number) => `quantile value should be between 0 and 1, got ${goFloatG(v)}`,
  invalidRatio: (v: number, to: number) =>
    `ratio value should be between -1 and 1, got ${goFloatG(v)}, capping to ${goFloatG(to)}`,
  badBucketLabel: (le: string, name: string) =>
    `bucket label "le" is missing or has a malformed value of ${q(le)}` + (name ? ` for metric name ${q(name)}` : ''),
  forcedMonotonicity: (name: string) =>
    'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)' +
    (name ? ` for metric name ${q(name)}` : ''),
} as const;
