/**
 * Fan-out pruning by external labels (Thanos' LabelSetsMatch): a store whose every external label
 * set conflicts with the request's matchers cannot hold matching series and is skipped.
 */
import type { Labels } from '../model/labels.js';
import type { LabelMatcher } from '../model/matcher.js';

/**
 * True when the store may hold matching series: it has no label sets, or at least one of its sets
 * has no conflicting matcher. A matcher on a label the set does not have is ignored.
 */
export function storeMatchesMatchers(labelSets: readonly Labels[], matchers: readonly LabelMatcher[]): boolean {
  if (labelSets.length === 0) return true;
  for (const ls of labelSets) if (labelSetMatches(ls, matchers)) return true;
  return false;
}

/** True when no matcher conflicts with the label set (matchers on absent labels are ignored). */
export function labelSetMatches(ls: Labels, matchers: readonly LabelMatcher[]): boolean {
  for (const m of matchers) {
    for (const l of ls) {
      if (l.name === m.name) {
        if (!m.matches(l.value)) return false;
        break;
      }
    }
  }
  return true;
}
