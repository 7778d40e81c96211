/**
 * info(v [, {selector}]) (experimental): adds data labels of matching info series (target_info by
 * default) to each series of v. An info series matches when it has the same values of the
 * identifying labels `instance` and `job` that the input series has; per step the newest info
 * sample of each info metric wins. Follows Prometheus promql/info.go.
 */
import type { Call } from '../ast.js';
import { formatLabels, getLabel, labelsKey, setLabel, METRIC_NAME, type Label, type Labels } from '../../model/labels.js';
import { clipSamples } from '../../model/samples.js';
import { PromQLError } from '../errors.js';
import { newStepSeries, type EvalValue, type Grid, type StepSeries } from '../value.js';
import type { EvalContext } from './context.js';
import { infoSelect, infoWindow } from './info-select.js';
import { evalVectorSelector } from './selector.js';
import { SAME_LABELSET } from './series.js';
import type { FunctionImpl, NodeEvaluator } from './types.js';

const IDENTIFYING = ['instance', 'job'] as const;

/** Join key of a series against info metric `name`: the name plus its identifying labels. */
function signature(name: string, ls: Labels): string {
  const parts: Label[] = [{ name: METRIC_NAME, value: name }];
  for (const id of IDENTIFYING) {
    const v = getLabel(ls, id);
    if (v !== '') parts.push({ name: id, value: v });
  }
  return labelsKey(parts);
}

/**
 * The info series worth looking at: those carrying, for every identifying label some input has,
 * one of the inputs' values (Prometheus selects them with `instance=~"a|b"`-style matchers).
 * Each step's value is the timestamp of the sample in effect (so the newest can win).
 */
function infoSeries(ev: NodeEvaluator, call: Call, grid: Grid, idValues: ReadonlyMap<string, ReadonlySet<string>>): StepSeries[] {
  if (idValues.size === 0) return [];
  const { node } = infoSelect(call);
  const [start, end] = infoWindow(call, grid, ev.ctx);
  const fetched = (ev.ctx.data.get(node) ?? [])
    .filter((s) => [...idValues].every(([name, vals]) => vals.has(getLabel(s.labels, name))))
    .map((s) => ({ labels: s.labels, samples: clipSamples(s.samples, start, end) }));
  const ctx: EvalContext = { ...ev.ctx, data: new Map([[node, fetched]]), samples: 0 };
  return evalVectorSelector(ctx, node, grid, true);
}

export const info: FunctionImpl = (ev, call, grid): EvalValue => {
  const sel = infoSelect(call);
  const base = ev.vector(call.args[0]!, grid);
  const ignored = base.map((s) => {
    const name = getLabel(s.labels, METRIC_NAME);
    return sel.ignoreMatchers.length > 0 && sel.ignoreMatchers.every((m) => m.matches(name));
  });
  const idValues = new Map<string, Set<string>>();
  base.forEach((s, i) => {
    if (ignored[i]) return;
    for (const id of IDENTIFYING) {
      const v = getLabel(s.labels, id);
      if (v === '') continue;
      let set = idValues.get(id);
      if (!set) idValues.set(id, (set = new Set()));
      set.add(v);
    }
  });
  const infos = infoSeries(ev, call, grid, idValues);
  const infoNames = [...new Set(infos.map((s) => getLabel(s.labels, METRIC_NAME)))];
  const infoSigs = infos.map((s) => signature(getLabel(s.labels, METRIC_NAME), s.labels));
  const baseSigs = base.map((s) => infoNames.map((name) => signature(name, s.labels)));
  // With no info match, a data matcher that rejects the empty value drops the input sample.
  const needsMatch = [...sel.dataMatchers.values()].some((ms) => ms.some((m) => !m.matchesEmpty()));

  const out = new Map<string, StepSeries>();
  const emit = (labels: Labels, i: number, v: number): void => {
    const key = labelsKey(labels);
    let r = out.get(key);
    if (r === undefined) out.set(key, (r = newStepSeries(labels, grid.n)));
    if (r.present[i] !== 0) throw new PromQLError('execution', SAME_LABELSET);
    r.values[i] = v;
    r.present[i] = 1;
  };
  const bySig = new Map<string, number>();
  for (let i = 0; i < grid.n; i++) {
    bySig.clear();
    infos.forEach((s, k) => {
      if (s.present[i] === 0) return;
      const sig = infoSigs[k]!;
      const prev = bySig.get(sig);
      if (prev === undefined) bySig.set(sig, k);
      else {
        const pt = infos[prev]!.values[i]!;
        const t = s.values[i]!;
        if (t > pt) bySig.set(sig, k);
        else if (t === pt) {
          throw new PromQLError(
            'execution',
            `found duplicate series for info metric: existing ${formatLabels(infos[prev]!.labels)} @ ${Math.round(pt * 1000)}, new ${formatLabels(s.labels)} @ ${Math.round(t * 1000)}`,
          );
        }
      }
    });
    base.forEach((s, bi) => {
      if (s.present[i] === 0) return;
      const v = s.values[i]!;
      if (ignored[bi]) return emit(s.labels, i, v);
      const added = new Map<string, string>();
      let matched = 0;
      infoNames.forEach((_, ni) => {
        const k = bySig.get(baseSigs[bi]![ni]!);
        if (k === undefined) return;
        matched++;
        for (const l of infos[k]!.labels) {
          if (l.name === METRIC_NAME) continue;
          if (sel.dataMatchers.size > 0 && !sel.dataMatchers.has(l.name)) continue;
          const cur = added.get(l.name);
          if (cur !== undefined && cur !== l.value) throw new PromQLError('execution', `conflicting label: ${l.name}`);
          if (getLabel(s.labels, l.name) !== '') continue;
          added.set(l.name, l.value);
        }
      });
      if (matched === 0 && needsMatch) return;
      let labels = s.labels;
      for (const [name, value] of added) labels = setLabel(labels, name, value);
      emit(labels, i, v);
    });
  }
  return { kind: 'vector', series: [...out.values()] };
};
