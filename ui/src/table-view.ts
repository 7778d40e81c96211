/** The Table tab: an instant query at the End time. */
import type { QueryData } from './api';
import { el, formatSeries, formatTime } from './format';
import { baseParams, type ResultView } from './views';

/** More rows than this are not shown (the browser would stall); the note says how many were left out. */
export const MAX_TABLE_ROWS = 10_000;

export const tableView: ResultView = {
  id: 'table',
  title: 'Table',
  request(c) {
    const params = baseParams(c);
    params.set('time', String(c.end));
    return { path: '/api/v1/query', params };
  },
  render(target, answer) {
    const data = answer.data as QueryData;
    const table = el('table', { class: 'results', 'data-testid': 'table' });
    const body = el('tbody');
    table.append(el('thead', {}, el('tr', {}, el('th', {}, 'Series'), el('th', {}, 'Value'))), body);
    const row = (series: string, value: Node | string) => body.append(el('tr', { 'data-testid': 'row' }, el('td', { class: 'series' }, series), el('td', { class: 'value' }, value)));
    let shown = 0;
    switch (data.resultType) {
      case 'vector':
        for (const s of data.result.slice(0, MAX_TABLE_ROWS)) row(formatSeries(s.metric), s.value !== undefined ? s.value[1] : '(native histogram)');
        break;
      case 'matrix':
        for (const s of data.result.slice(0, MAX_TABLE_ROWS)) {
          const lines = el('div', { class: 'values' });
          for (const [t, v] of s.values ?? []) lines.append(el('div', {}, `${v} @${t}`, el('span', { class: 'muted' }, ` ${formatTime(t)}`)));
          if ((s.histograms?.length ?? 0) > 0) lines.append(el('div', { class: 'muted' }, `${s.histograms!.length} native histogram samples`));
          row(formatSeries(s.metric), lines);
        }
        break;
      case 'scalar':
        row('scalar', data.result[1]);
        break;
      case 'string':
        row('string', data.result[1]);
        break;
    }
    shown = body.childElementCount;
    const total = data.resultType === 'vector' || data.resultType === 'matrix' ? data.result.length : shown;
    if (total > shown) target.append(el('p', { class: 'muted' }, `showing the first ${shown} of ${total} series`));
    if (body.childElementCount === 0) target.append(el('p', { class: 'empty' }, 'Empty query result'));
    else target.append(table);
  },
};
