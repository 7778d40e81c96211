/** The Graph tab: a range query over [End − Range, End] at Step, drawn with uPlot. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MatrixSeries, QueryData } from './api';
import { el, formatSeries } from './format';
import { baseParams, type ResultView } from './views';

/** More series than this are not drawn (the browser would stall); the note says how many were left out. */
export const MAX_GRAPH_SERIES = 1000;

/** Distinct, readable colours: golden-angle hues. */
export function seriesColor(i: number): string {
  return `hsl(${Math.round((i * 137.508) % 360)}, 65%, 45%)`;
}

/** The range answer on one time axis: uPlot's columnar [xs, ...ys] with null where a series has no point. */
function columns(series: readonly MatrixSeries[], start: number, end: number, step: number): uPlot.AlignedData {
  const n = Math.floor((end - start) / step) + 1;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = start + i * step;
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array<number | null>(n).fill(null);
    for (const [t, v] of s.values ?? []) {
      const i = Math.round((t - start) / step);
      if (i >= 0 && i < n) {
        const x = Number(v);
        col[i] = Number.isFinite(x) ? x : null;
      }
    }
    return col;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}

export const graphView: ResultView = {
  id: 'graph',
  title: 'Graph',
  request(c) {
    const params = baseParams(c);
    params.set('start', String(c.end - c.range));
    params.set('end', String(c.end));
    params.set('step', String(c.step));
    return { path: '/api/v1/query_range', params };
  },
  render(target, answer, c) {
    const data = answer.data as QueryData;
    if (data.resultType !== 'matrix') {
      target.append(el('p', { class: 'error' }, `expected a range vector answer, got ${data.resultType}`));
      return;
    }
    if (data.result.length === 0) {
      target.append(el('p', { class: 'empty' }, 'Empty query result'));
      return;
    }
    const drawn = data.result.filter((s) => (s.values?.length ?? 0) > 0).slice(0, MAX_GRAPH_SERIES);
    const histograms = data.result.filter((s) => (s.values?.length ?? 0) === 0 && (s.histograms?.length ?? 0) > 0).length;
    const left = data.result.length - drawn.length - histograms;
    if (histograms > 0) target.append(el('p', { class: 'muted' }, `${histograms} native histogram series not drawn (see the Table view)`));
    if (left > 0) target.append(el('p', { class: 'muted' }, `${left} more series not drawn: only the first ${MAX_GRAPH_SERIES} are`));
    if (drawn.length === 0) return;
    const labels = drawn.map((s) => formatSeries(s.metric));
    const chartBox = el('div', { class: 'chart', 'data-testid': 'chart' });
    const legend = el('ul', { class: 'series-list', 'data-testid': 'series-list' });
    target.append(chartBox, legend);
    const width = Math.max(target.clientWidth - 4, 320);
    const plot = new uPlot(
      {
        width,
        height: 320,
        legend: { show: false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: true } },
        // UTC, as the End field and Prometheus' UI by default.
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        series: [{}, ...labels.map((label, i) => ({ label, stroke: seriesColor(i), width: 1.5, points: { show: false }, spanGaps: false }))],
        axes: [{}, { size: 70 }],
      },
      columns(drawn, c.end - c.range, c.end, c.step),
      chartBox,
    );
    labels.forEach((label, i) => {
      const item = el('li', { 'data-testid': 'series', title: 'click to show or hide' }, el('span', { class: 'swatch', style: `background:${seriesColor(i)}` }), label);
      item.addEventListener('click', () => {
        const shown = !item.classList.toggle('hidden');
        plot.setSeries(i + 1, { show: shown });
      });
      legend.append(item);
    });
    const onResize = () => plot.setSize({ width: Math.max(target.clientWidth - 4, 320), height: 320 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  },
};
