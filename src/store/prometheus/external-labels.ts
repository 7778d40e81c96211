/** External-label fix-ups of remote read answers. Pure: the query workers run them. */
import { compareStrings, type Label, type Labels } from '../../model/labels.js';
import type { LabelMatcher } from '../../model/matcher.js';
import type { Series } from '../../model/samples.js';

/**
 * Remote read labels each series with the server's current external labels; this fills in any
 * cached one that is missing. When a series carries other values than the cached ones (the
 * server's config changed since the last refresh), the matchers resolved locally against the cache
 * may be wrong: only the series matching every matcher are kept (so `{replica="a"}` never returns
 * the series of what is now replica "c"), and `stale` tells the caller to refresh.
 */
export function applyExternalLabels<T extends { readonly labels: Labels }>(
  series: T[],
  ext: Labels,
  matchers: readonly Pick<LabelMatcher, 'name' | 'matches'>[],
  relabel: (item: T, labels: Labels) => T,
): { series: T[]; stale: boolean } {
  if (ext.length === 0 || series.length === 0) return { series, stale: false };
  let stale = false;
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    if (!stale) {
      for (const e of ext) {
        const l = s.labels.find((x) => x.name === e.name);
        if (l !== undefined && l.value !== e.value) {
          stale = true;
          break;
        }
      }
    }
    const ls = addLabels(s.labels, ext);
    if (ls !== s.labels) series[i] = relabel(s, ls);
  }
  if (!stale) return { series, stale };
  const kept = series.filter((s) => matchers.every((m) => m.matches(s.labels.find((l) => l.name === m.name)?.value ?? '')));
  return { series: kept, stale };
}

/** Adds the labels of `extra` whose names `ls` lacks (both sorted); returns `ls` when none. */
/** `relabel` for decoded series. */
export function relabelSeries(s: Series, labels: Labels): Series {
  return { labels, samples: s.samples };
}

export function addLabels(ls: Labels, extra: Labels): Labels {
  let missing = false;
  for (const e of extra) {
    if (!ls.some((l) => l.name === e.name)) {
      missing = true;
      break;
    }
  }
  if (!missing) return ls;
  const out: Label[] = [...ls];
  for (const e of extra) if (!ls.some((l) => l.name === e.name)) out.push(e);
  return out.sort((a, b) => compareStrings(a.name, b.name));
}
