/**
 * Renders sample history as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
 *
 * promtool quirks handled here:
 * - one block per metric family (`# TYPE` once, all its samples together), and each series' samples
 *   sorted by time (the importer appends per series and rejects out-of-order samples);
 * - timestamps are seconds, and Prometheus' parser converts them with `int64(ts * 1000)` (truncation),
 *   so every rendered timestamp is checked to truncate back to the intended millisecond;
 * - the text ends with `# EOF`.
 */
import type { RefSample } from './reference-dedup.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'unknown';

/** Labels of one series, including `__name__` (the full sample name, e.g. `x_total`, `x_bucket`). */
export type LabelMap = Readonly<Record<string, string>>;

export interface OmSeries {
  readonly labels: LabelMap;
  readonly samples: readonly RefSample[];
}

export interface OmFamily {
  /** Family name: the counter name without `_total`, the histogram name without `_bucket` etc. */
  readonly name: string;
  readonly type: MetricType;
  readonly help?: string;
  readonly series: readonly OmSeries[];
}

/** Seconds with exactly three ms digits, e.g. 1700000000.123; a 4th digit only if truncation needs it. */
export function formatOmTimestamp(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`formatOmTimestamp: bad timestamp ${ms}`);
  const base = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
  if (Math.trunc(Number(base) * 1000) === ms) return base;
  // x.xxx1 truncates (and rounds) to the intended ms in both directions.
  const nudged = `${base}1`;
  if (Math.trunc(Number(nudged) * 1000) !== ms) throw new Error(`formatOmTimestamp: cannot render ${ms}`);
  return nudged;
}

/** A float as Go's ParseFloat reads it back bit for bit (JS shortest round-trip digits). */
export function formatOmValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function renderLabels(labels: LabelMap): { name: string; body: string } {
  const name = labels.__name__;
  if (name === undefined || name === '') throw new Error('OpenMetrics series without __name__');
  const pairs = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}="${escapeLabelValue(labels[k]!)}"`);
  return { name, body: pairs.length > 0 ? `{${pairs.join(',')}}` : '' };
}

/** Whether a sample name belongs to a family of the given type (OpenMetrics suffix rules). */
export function sampleNameFits(family: string, type: MetricType, sampleName: string): boolean {
  switch (type) {
    case 'counter':
      return sampleName === `${family}_total`;
    case 'histogram':
      return [`${family}_bucket`, `${family}_sum`, `${family}_count`].includes(sampleName);
    default:
      return sampleName === family;
  }
}

export function renderOpenMetrics(families: readonly OmFamily[]): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const fam of families) {
    if (seen.has(fam.name)) throw new Error(`OpenMetrics family ${fam.name} rendered twice`);
    seen.add(fam.name);
    out.push(`# TYPE ${fam.name} ${fam.type}`);
    if (fam.help !== undefined) out.push(`# HELP ${fam.name} ${fam.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    for (const s of fam.series) {
      const { name, body } = renderLabels(s.labels);
      if (!sampleNameFits(fam.name, fam.type, name)) throw new Error(`sample ${name} does not fit family ${fam.name} (${fam.type})`);
      let prev = -Infinity;
      for (const [t, v] of s.samples) {
        if (!(t > prev)) throw new Error(`OpenMetrics: samples of ${name}${body} not strictly increasing at ${t}`);
        prev = t;
        out.push(`${name}${body} ${formatOmValue(v)} ${formatOmTimestamp(t)}`);
      }
    }
  }
  out.push('# EOF');
  return out.join('\n') + '\n';
}
