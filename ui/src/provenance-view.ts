/**
 * The Provenance tab: the range query with dedup=explain, drawn per merged series as a timeline
 * of which replica served which span, with every leader switch listed: when, from which replica to
 * which, how long the old one's gap was against the penalty the merge waited (docs/explain.md).
 */
import { el, formatDuration, formatSeries, formatTime } from './format';
import { seriesColor } from './graph-view';
import { baseParams, type ResultView } from './views';

interface Provenance {
  selector: string;
  start: number;
  end: number;
  func: string;
  series: {
    metric: Record<string, string>;
    replicas: { labels: Record<string, string>; samples_in: number; samples_used: number }[];
    spans: { replica: number; start: number; end: number; samples: number }[];
    switches: { time: number; from: number; to: number; last_from: number; next_from: number | null; gap_seconds: number | null; penalty_seconds: number | null }[];
  }[];
}

/** At most this many series are drawn per select (the page stays responsive). */
const MAX_SERIES = 200;

const replicaName = (labels: Record<string, string>): string => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return parts.length > 0 ? parts.join(', ') : '(no replica label)';
};

function timeline(start: number, end: number, s: Provenance['series'][number]): HTMLElement {
  const bar = el('div', { class: 'prov-bar', 'data-testid': 'provenance-bar' });
  const width = Math.max(end - start, 1);
  for (const span of s.spans) {
    const left = ((span.start - start) / width) * 100;
    // A span of one sample still shows: at least a sliver.
    const right = ((Math.max(span.end, span.start) - start) / width) * 100;
    const title = `${replicaName(s.replicas[span.replica]!.labels)}: ${formatTime(span.start)} – ${formatTime(span.end)}, ${span.samples} samples`;
    bar.append(
      el('span', {
        class: 'prov-span',
        'data-testid': 'provenance-span',
        'data-replica': replicaName(s.replicas[span.replica]!.labels),
        title,
        style: `left:${left}%;width:max(2px, ${right - left}%);background:${seriesColor(span.replica)}`,
      }),
    );
  }
  return bar;
}

function switchesTable(s: Provenance['series'][number]): HTMLElement {
  const rows = s.switches.map((w) =>
    el(
      'tr',
      { 'data-testid': 'provenance-switch' },
      el('td', {}, formatTime(w.time)),
      el('td', {}, replicaName(s.replicas[w.from]!.labels)),
      el('td', {}, replicaName(s.replicas[w.to]!.labels)),
      el('td', {}, w.gap_seconds === null ? 'no more samples' : formatDuration(w.gap_seconds)),
      el('td', {}, w.penalty_seconds === null ? '—' : formatDuration(w.penalty_seconds)),
    ),
  );
  return el(
    'table',
    { class: 'prov-switches' },
    el('thead', {}, el('tr', {}, el('th', {}, 'switched at'), el('th', {}, 'from'), el('th', {}, 'to'), el('th', {}, 'gap of "from"'), el('th', {}, 'penalty waited'))),
    el('tbody', {}, ...rows),
  );
}

export const provenanceView: ResultView = {
  id: 'provenance',
  title: 'Provenance',
  request(c) {
    const params = baseParams(c);
    params.set('dedup', 'explain');
    params.set('start', String(c.end - c.range));
    params.set('end', String(c.end));
    params.set('step', String(c.step));
    return { path: '/api/v1/query_range', params };
  },
  render(target, answer) {
    const provenance = (answer.data as { provenance?: Provenance[] }).provenance ?? [];
    if (provenance.length === 0) {
      target.append(el('p', { class: 'empty' }, 'No selects to explain (the query reads no series)'));
      return;
    }
    for (const p of provenance) {
      const section = el('section', { class: 'prov-select' }, el('h3', {}, `${p.selector} (${p.func})`));
      const legend = new Map<string, number>();
      for (const s of p.series.slice(0, MAX_SERIES)) {
        s.replicas.forEach((r, i) => legend.set(replicaName(r.labels), i));
        const counts = s.replicas.map((r) => `${replicaName(r.labels)}: ${r.samples_used} of ${r.samples_in} samples used`).join('; ');
        section.append(
          el(
            'div',
            { class: 'prov-series', 'data-testid': 'provenance-series' },
            el('div', { class: 'prov-name' }, formatSeries(s.metric)),
            timeline(p.start, p.end, s),
            el('div', { class: 'muted' }, counts),
            s.switches.length > 0 ? switchesTable(s) : el('div', { class: 'muted' }, 'no leader switch in this window'),
          ),
        );
      }
      if (p.series.length > MAX_SERIES) section.append(el('p', { class: 'muted' }, `${p.series.length - MAX_SERIES} more series not drawn`));
      const keys = [...legend].map(([name, i]) => el('li', {}, el('span', { class: 'swatch', style: `background:${seriesColor(i)}` }), name));
      section.insertBefore(el('ul', { class: 'legend' }, ...keys), section.children[1] ?? null);
      target.append(section);
    }
  },
};
