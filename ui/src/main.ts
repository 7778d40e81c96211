/** The promdedup web UI: a tiny client-side router over the query page and the endpoints page. */
import './style.css';
import { mountEndpointsPage } from './endpoints-page';
import { graphView } from './graph-view';
import { provenanceView } from './provenance-view';
import { LAST_QUERY_KEY, mountQueryPage } from './query-page';
import { tableView } from './table-view';
import { registerResultView } from './views';

registerResultView(tableView);
registerResultView(graphView);
registerResultView(provenanceView);

const pages: Record<string, (root: HTMLElement) => () => void> = {
  graph: mountQueryPage,
  endpoints: mountEndpointsPage,
};

function pageFor(pathname: string): string {
  return pathname.replace(/\/+$/, '') === '/endpoints' ? 'endpoints' : 'graph';
}

const root = document.getElementById('app')!;
let unmount: (() => void) | null = null;

function show(): void {
  unmount?.();
  const page = pageFor(location.pathname);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a[data-page]')) a.classList.toggle('active', a.dataset['page'] === page);
  document.title = page === 'endpoints' ? 'promdedup · Endpoints' : 'promdedup · Query';
  unmount = pages[page]!(root);
}

document.addEventListener('click', (ev) => {
  const a = (ev.target as Element | null)?.closest?.('a[data-nav]') as HTMLAnchorElement | null;
  if (a === null || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
  ev.preventDefault();
  let href = a.href;
  if (a.dataset['page'] === 'graph' && a.search === '') {
    let last: string | null = null;
    try {
      last = sessionStorage.getItem(LAST_QUERY_KEY);
    } catch {
      // storage disabled
    }
    if (last !== null) href = `${a.pathname}${last}`;
  }
  const target = new URL(href, location.href);
  if (target.pathname !== location.pathname || target.search !== location.search) history.pushState(null, '', target.href);
  show();
});
window.addEventListener('popstate', show);
show();
