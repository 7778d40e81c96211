/**
 * dedup=explain: the provenance of every select of a query (src/dedup/provenance.ts), added to the
 * answer's `data` as `provenance`, beside `resultType` and `result` (clients that do not know it
 * ignore it). Times are seconds, as in Prometheus' answers.
 */
import type { DedupFunc, SeriesProvenance } from '../dedup/index.js';
import type { LabelMatcher } from '../model/matcher.js';
import { formatTimestampSeconds } from '../promql/format.js';
import { encodeLabels, jsonString } from '../promql/json.js';
import type { SelectHints } from '../storage/querier.js';

export interface SelectProvenance {
  readonly matchers: readonly LabelMatcher[];
  readonly hints: SelectHints;
  readonly func: DedupFunc;
  readonly series: readonly SeriesProvenance[];
}

/** The `"provenance":[…]` field of the answer's data. */
export function provenanceField(provenance: readonly SelectProvenance[]): string {
  return `"provenance":[${provenance.map(selectJson).join(',')}]`;
}

function selectJson(p: SelectProvenance): string {
  const selector = `{${p.matchers.map((m) => m.toString()).join(',')}}`;
  const series = p.series.map(seriesJson).join(',');
  return `{"selector":${jsonString(selector)},"start":${formatTimestampSeconds(p.hints.start)},"end":${formatTimestampSeconds(p.hints.end)},"func":${jsonString(p.func)},"series":[${series}]}`;
}

const seconds = (ms: number): string => formatTimestampSeconds(ms);
const orNull = (ms: number | null, f: (x: number) => string): string => (ms === null ? 'null' : f(ms));

function seriesJson(s: SeriesProvenance): string {
  const replicas = s.replicas.map((r) => `{"labels":${encodeLabels(r.labels)},"samples_in":${r.samplesIn},"samples_used":${r.samplesUsed}}`).join(',');
  const spans = s.spans.map((x) => `{"replica":${x.replica},"start":${seconds(x.start)},"end":${seconds(x.end)},"samples":${x.samples}}`).join(',');
  const switches = s.switches
    .map(
      (x) =>
        `{"time":${seconds(x.at)},"from":${x.from},"to":${x.to},"last_from":${seconds(x.lastFrom)},"next_from":${orNull(x.nextFrom, seconds)},` +
        `"gap_seconds":${orNull(x.nextFrom === null ? null : x.nextFrom - x.lastFrom, (ms) => String(ms / 1000))},"penalty_seconds":${orNull(x.penaltyMs, (ms) => String(ms / 1000))}}`,
    )
    .join(',');
  return `{"metric":${encodeLabels(s.labels)},"replicas":[${replicas}],"spans":[${spans}],"switches":[${switches}]}`;
}
