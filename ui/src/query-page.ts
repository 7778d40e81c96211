/** The query page (`/`, `/graph`): query box, controls, result tabs, warnings. State lives in the URL. */
import { ApiError, type ApiSuccess, type QueryData } from './api';
import { apiGet } from './api';
import { createQueryEditor, type QueryEditor } from './editor';
import { autoStep, el, formatDuration, parseDuration, parseTime } from './format';
import { resultViews, type QueryControls, type ResultView } from './views';

interface PageState {
  expr: string;
  tab: string;
  range: string;
  end: string;
  step: string;
  dedup: boolean;
  replicaLabels: string;
}

/** Prometheus' shareable-link names (`g0.expr`, `g0.tab`, `g0.range_input`, …) plus dedup and replicaLabels. */
function readUrl(defaultTab: string): PageState {
  const q = new URLSearchParams(location.search);
  return {
    expr: q.get('g0.expr') ?? '',
    tab: q.get('g0.tab') ?? defaultTab,
    range: q.get('g0.range_input') ?? '1h',
    end: q.get('g0.end_input') ?? '',
    step: q.get('g0.step_input') ?? '',
    dedup: q.get('dedup') !== 'false' && q.get('dedup') !== '0',
    replicaLabels: q.get('replicaLabels') ?? '',
  };
}

function writeUrl(s: PageState): void {
  const q = new URLSearchParams();
  q.set('g0.expr', s.expr);
  q.set('g0.tab', s.tab);
  q.set('g0.range_input', s.range);
  if (s.end !== '') q.set('g0.end_input', s.end);
  if (s.step !== '') q.set('g0.step_input', s.step);
  if (!s.dedup) q.set('dedup', 'false');
  if (s.replicaLabels !== '') q.set('replicaLabels', s.replicaLabels);
  history.replaceState(null, '', `${location.pathname}?${q.toString()}`);
  try {
    sessionStorage.setItem(LAST_QUERY_KEY, `?${q.toString()}`);
  } catch {
    // storage disabled: the Query link starts empty
  }
}

/** The last query's URL state, for the Query link (as Prometheus' UI keeps the query across pages). */
export const LAST_QUERY_KEY = 'promdedup.lastQuery';

function seriesCount(answer: ApiSuccess): string {
  const d = answer.data as QueryData;
  if (d.resultType === 'vector' || d.resultType === 'matrix') return `${d.result.length} series`;
  return d.resultType;
}

export function mountQueryPage(root: HTMLElement): () => void {
  const views = resultViews();
  const state = readUrl('table');
  if (!views.some((v) => v.id === state.tab)) state.tab = views[0]!.id;

  const input = (id: string, value: string, attrs: Record<string, string> = {}) => el('input', { id, value, type: 'text', ...attrs });
  const range = input('range', state.range, { size: '6', title: 'Range: a Prometheus duration, e.g. 1h, 30m, 1d' });
  const end = input('end', state.end, { size: '22', placeholder: 'now', title: 'End (graph) or evaluation time (table): RFC 3339 or unix seconds; empty: now' });
  const step = input('step', state.step, { size: '6', placeholder: 'auto', title: 'Resolution: a duration or seconds; empty: about 250 points' });
  const dedup = el('input', { id: 'dedup', type: 'checkbox' });
  dedup.checked = state.dedup;
  const replicaLabels = input('replica-labels', state.replicaLabels, { size: '16', placeholder: 'server default', title: 'replicaLabels[]: comma-separated; empty: the --query.replica-label flag' });
  const execute = el('button', { id: 'execute', class: 'primary', type: 'button' }, 'Execute');
  const editorBox = el('div', { class: 'editor', 'data-testid': 'editor' });
  const tabs = el('div', { class: 'tabs', role: 'tablist' });
  const status = el('div', { class: 'status', 'data-testid': 'status' });
  const warnings = el('div', { class: 'warnings', 'data-testid': 'warnings' });
  const result = el('div', { class: 'result', 'data-testid': 'result', 'data-run': '0' });
  const label = (forId: string, text: string) => el('label', { for: forId }, text);

  root.replaceChildren(
    el(
      'section',
      { class: 'query-page' },
      el('div', { class: 'editor-row' }, editorBox, execute),
      el(
        'div',
        { class: 'controls' },
        el('span', { class: 'group' }, label('range', 'Range'), range, label('end', 'End'), end, label('step', 'Step'), step),
        el('span', { class: 'group' }, el('label', { class: 'toggle' }, dedup, ' Deduplication'), label('replica-labels', 'Replica labels'), replicaLabels),
      ),
      tabs,
      status,
      warnings,
      result,
    ),
  );

  const splitLabels = () => replicaLabels.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const endSeconds = () => {
    const t = parseTime(end.value);
    return typeof t === 'number' ? t : Date.now() / 1000;
  };
  const editor: QueryEditor = createQueryEditor({
    parent: editorBox,
    doc: state.expr,
    onExecute: () => void run(),
    context: () => {
      const e = endSeconds();
      return { dedup: dedup.checked, replicaLabels: splitLabels(), end: e, start: e - Math.max(parseDuration(range.value) ?? 3600, 12 * 3600) };
    },
  });

  let active: ResultView = views.find((v) => v.id === state.tab)!;
  const tabButtons = views.map((v) => {
    const b = el('button', { type: 'button', role: 'tab', 'data-tab': v.id }, v.title);
    b.addEventListener('click', () => {
      active = v;
      paintTabs();
      if (editor.value().trim() !== '') void run();
    });
    return b;
  });
  const paintTabs = () => tabButtons.forEach((b) => b.setAttribute('aria-selected', String(b.dataset['tab'] === active.id)));
  tabs.append(...tabButtons);
  paintTabs();

  let runs = 0;
  let inflight: AbortController | null = null;
  let cleanup: (() => void) | null = null;

  const controls = (): QueryControls | string => {
    const expr = editor.value().trim();
    if (expr === '') return 'Enter an expression';
    const r = parseDuration(range.value);
    if (r === null || r <= 0) return `Range: not a duration: ${JSON.stringify(range.value)}`;
    const t = parseTime(end.value);
    if (t === null) return `End: not a time: ${JSON.stringify(end.value)} (RFC 3339 or unix seconds)`;
    const s = step.value.trim() === '' ? autoStep(r) : parseDuration(step.value);
    if (s === null || s <= 0) return `Step: not a duration: ${JSON.stringify(step.value)}`;
    return { expr, end: t ?? Date.now() / 1000, range: r, step: s, dedup: dedup.checked, replicaLabels: splitLabels() };
  };

  const showMessages = (list: readonly string[], cls: string) => {
    for (const w of list) warnings.append(el('div', { class: cls, 'data-testid': cls }, w));
  };

  async function run(): Promise<void> {
    const c = controls();
    warnings.replaceChildren();
    if (typeof c === 'string') {
      status.textContent = '';
      showMessages([c], 'error');
      return;
    }
    writeUrl({ expr: c.expr, tab: active.id, range: range.value.trim(), end: end.value.trim(), step: step.value.trim(), dedup: c.dedup, replicaLabels: replicaLabels.value.trim() });
    inflight?.abort();
    const abort = new AbortController();
    inflight = abort;
    const seq = ++runs;
    const view = active;
    result.dataset['state'] = 'loading';
    status.textContent = 'Loading…';
    const started = performance.now();
    const req = view.request(c);
    try {
      const answer = await apiGet(req.path, req.params, abort.signal);
      if (seq !== runs) return;
      cleanup?.();
      cleanup = null;
      result.replaceChildren();
      showMessages(answer.warnings ?? [], 'warning');
      showMessages(answer.infos ?? [], 'info');
      const ms = Math.round(performance.now() - started);
      status.textContent = `${seriesCount(answer)} · ${ms} ms · ${c.dedup ? 'deduplicated' : 'raw replicas (dedup=false)'}` + (view.id === 'graph' ? ` · step ${formatDuration(c.step)}` : '');
      cleanup = view.render(result, answer, c) ?? null;
      result.dataset['state'] = 'done';
    } catch (err) {
      if ((err as Error).name === 'AbortError' || seq !== runs) return;
      cleanup?.();
      cleanup = null;
      result.replaceChildren();
      status.textContent = '';
      const e = err as ApiError;
      showMessages(e.warnings ?? [], 'warning');
      showMessages([e instanceof ApiError && e.errorType !== 'network' ? `${e.errorType}: ${e.message}` : e.message], 'error');
      result.dataset['state'] = 'error';
    } finally {
      if (seq === runs) {
        result.dataset['run'] = String(seq);
        inflight = null;
      }
    }
  }

  execute.addEventListener('click', () => void run());
  const rerun = () => {
    editor.resetCompletion();
    if (editor.value().trim() !== '') void run();
  };
  dedup.addEventListener('change', rerun);
  replicaLabels.addEventListener('change', rerun);
  for (const i of [range, end, step]) i.addEventListener('keydown', (ev) => ev.key === 'Enter' && void run());
  // Completion asks for names in the End time's window: a new window, new names.
  for (const i of [range, end]) i.addEventListener('change', () => editor.resetCompletion());

  if (state.expr !== '') void run();
  editor.view.focus();
  return () => {
    inflight?.abort();
    cleanup?.();
    editor.view.destroy();
  };
}
