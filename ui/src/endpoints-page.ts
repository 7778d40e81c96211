/** The Endpoints page (`/endpoints`): /api/v1/stores as tables, one per component type. */
import { apiGet, type Labels } from './api';
import { el, formatSeries, formatTime } from './format';

interface EndpointJson {
  name: string;
  lastCheck: string | null;
  lastError: string | null;
  labelSets: Labels[];
  minTime: number;
  maxTime: number;
  queryable?: boolean;
  strict?: boolean;
}

/** Thanos sends Go's MinInt64/MaxInt64 for "all time"; JSON numbers round them to ±9.223372036854776e18. */
function timeText(ms: number): string {
  if (ms <= -9.2e18) return '−∞';
  if (ms >= 9.2e18) return '+∞';
  return formatTime(ms / 1000);
}

/** UP: answered its last check; DOWN: the last check failed; UNKNOWN: not checked yet. As the /stores page. */
function health(e: EndpointJson): 'UP' | 'DOWN' | 'UNKNOWN' {
  if (e.lastError !== null) return 'DOWN';
  return e.queryable === false || e.lastCheck === null ? 'UNKNOWN' : 'UP';
}

export function mountEndpointsPage(root: HTMLElement): () => void {
  const status = el('div', { class: 'status', 'data-testid': 'status' });
  const body = el('div', { 'data-testid': 'endpoints', 'data-state': 'loading' });
  const refresh = el('button', { type: 'button', id: 'refresh' }, 'Refresh');
  root.replaceChildren(el('section', { class: 'endpoints-page' }, el('div', { class: 'heading' }, el('h1', {}, 'Endpoints'), refresh), status, body));
  let abort: AbortController | null = null;

  async function load(): Promise<void> {
    abort?.abort();
    const a = new AbortController();
    abort = a;
    status.textContent = 'Loading…';
    try {
      const answer = await apiGet<Record<string, EndpointJson[]>>('/api/v1/stores', new URLSearchParams(), a.signal);
      const groups = Object.entries(answer.data).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
      const sections = groups.map(([type, list]) => {
        const rows = list.map((e) => {
          const h = health(e);
          const labels = el('div', { class: 'label-sets' });
          for (const ls of e.labelSets) labels.append(el('code', {}, formatSeries(ls)));
          return el(
            'tr',
            { class: h.toLowerCase(), 'data-testid': 'endpoint' },
            el('td', { class: 'name' }, e.name, e.strict === true ? el('span', { class: 'muted' }, ' (strict)') : null),
            el('td', { class: 'health', 'data-testid': 'health' }, el('span', { class: `badge ${h.toLowerCase()}` }, h)),
            el('td', {}, labels),
            el('td', {}, timeText(e.minTime)),
            el('td', {}, timeText(e.maxTime)),
            el('td', {}, e.lastCheck ?? 'never'),
            el('td', { class: 'last-error' }, e.lastError ?? ''),
          );
        });
        const head = el('tr', {}, ...['Endpoint', 'Health', 'Labels', 'Min time', 'Max time', 'Last check', 'Last error'].map((t) => el('th', {}, t)));
        return el('div', { class: 'group' }, el('h2', {}, type), el('table', { class: 'results' }, el('thead', {}, head), el('tbody', {}, ...rows)));
      });
      body.replaceChildren(...(sections.length > 0 ? sections : [el('p', { class: 'empty' }, 'No endpoints.')]));
      const total = groups.reduce((n, [, l]) => n + l.length, 0);
      const up = groups.reduce((n, [, l]) => n + l.filter((e) => health(e) === 'UP').length, 0);
      status.textContent = `${up} of ${total} endpoints up · ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`;
      body.dataset['state'] = 'done';
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      status.textContent = '';
      body.replaceChildren(el('div', { class: 'error' }, (err as Error).message));
      body.dataset['state'] = 'error';
    }
  }

  refresh.addEventListener('click', () => void load());
  void load();
  return () => abort?.abort();
}
