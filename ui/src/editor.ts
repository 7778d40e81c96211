/** The PromQL query box: CodeMirror 6 with codemirror-promql, completing from promdedup's own API. */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { dedupParams } from './views';

export interface EditorOptions {
  readonly parent: HTMLElement;
  readonly doc: string;
  /** Enter (without Shift) while no completion is open. */
  readonly onExecute: () => void;
  /** The page's dedup settings and time window, read for each completion request. */
  readonly context: () => { dedup: boolean; replicaLabels: readonly string[]; start: number; end: number };
}

export interface QueryEditor {
  readonly view: EditorView;
  value(): string;
  /** Drops cached metric and label names (after the dedup settings changed). */
  resetCompletion(): void;
}

/** codemirror-promql's requests, with the page's dedup parameters and time window (not the clock's last 12 h). */
function completionFetch(context: EditorOptions['context']): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> {
  return (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, location.href);
    const c = context();
    for (const [k, v] of dedupParams(c.dedup, c.replicaLabels)) url.searchParams.append(k, v);
    if (url.searchParams.has('start')) url.searchParams.set('start', String(c.start));
    if (url.searchParams.has('end')) url.searchParams.set('end', String(c.end));
    return fetch(url, init);
  };
}

export function createQueryEditor(opts: EditorOptions): QueryEditor {
  const language = new Compartment();
  const promql = () =>
    new PromQLExtension()
      .setComplete({
        remote: {
          url: location.origin,
          httpMethod: 'GET',
          lookbackInterval: 12 * 3600 * 1000, // makes the client send start/end, which completionFetch sets
          fetchFn: completionFetch(opts.context) as (input: RequestInfo, init?: RequestInit) => Promise<Response>,
          cache: { maxAge: 5 * 60 * 1000 },
        },
      })
      .asExtension();
  const view = new EditorView({
    parent: opts.parent,
    state: EditorState.create({
      doc: opts.doc,
      extensions: [
        history(),
        closeBrackets(),
        bracketMatching(),
        autocompletion(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        placeholder('Expression (press Enter to run, Shift+Enter for a new line)'),
        EditorView.lineWrapping,
        language.of(promql()),
        Prec.high(
          keymap.of([
            {
              key: 'Enter',
              run: () => {
                opts.onExecute();
                return true;
              },
            },
            { key: 'Shift-Enter', run: insertNewlineAndIndent },
          ]),
        ),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
      ],
    }),
  });
  return {
    view,
    value: () => view.state.doc.toString(),
    resetCompletion: () => view.dispatch({ effects: language.reconfigure(promql()) }),
  };
}
