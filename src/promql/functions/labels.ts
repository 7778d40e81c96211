/** label_replace / label_join kernels and label-name validation. */
import type { RE2 } from 're2-wasm';
import { getLabel, setLabel, type Labels } from '../../model/labels.js';
import type { PromQLCompat } from '../types.js';

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Go regexp.Expand: `$$` → `$`; `$name` / `${name}` where name is the longest run of letters,
 * digits and `_`; all-digit names (no leading zero, < 1e8) are group numbers, anything else a
 * group name (so `$1x` is the group named "1x", usually empty). Malformed `$` stays literal.
 */
export function expandTemplate(template: string, groups: ArrayLike<string | undefined>, named: Readonly<Record<string, string | undefined>> | undefined): string {
  let out = '';
  let i = 0;
  const n = template.length;
  while (i < n) {
    const d = template.indexOf('$', i);
    if (d < 0) break;
    out += template.slice(i, d);
    i = d + 1;
    if (i < n && template.charCodeAt(i) === 36) {
      out += '$';
      i++;
      continue;
    }
    // extract()
    let j = i;
    const brace = j < n && template.charCodeAt(j) === 123;
    if (brace) j++;
    const nameStart = j;
    while (j < n) {
      const cp = template.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      if (!NAME_CHAR.test(ch)) break;
      j += ch.length;
    }
    if (j === nameStart || (brace && (j >= n || template.charCodeAt(j) !== 125))) {
      out += '$';
      continue; // malformed: `$` literal, rest re-scanned
    }
    const name = template.slice(nameStart, j);
    i = brace ? j + 1 : j;
    let num = 0;
    for (let k = 0; k < name.length; k++) {
      const c = name.charCodeAt(k);
      if (c < 48 || c > 57 || num >= 1e8) {
        num = -1;
        break;
      }
      num = num * 10 + (c - 48);
    }
    if (name.charCodeAt(0) === 48 && name.length > 1) num = -1;
    if (num >= 0) {
      if (num < groups.length) out += groups[num] ?? '';
    } else if (named !== undefined && Object.prototype.hasOwnProperty.call(named, name)) {
      out += named[name] ?? '';
    }
  }
  return out + template.slice(i);
}

/**
 * label_replace for one series. `re` must be compiled by the caller as `^(?s:<regex>)$` (flag
 * 'u'). No match → `ls` unchanged (same array); match → dst set to the expansion (empty removes).
 */
export function labelReplace(ls: Labels, dst: string, replacement: string, src: string, re: RE2): Labels {
  const m = re.exec(getLabel(ls, src));
  if (m === null) return ls;
  const value = expandTemplate(replacement, m, m.groups);
  return setLabel(ls, dst, value);
}

/** label_join for one series: src values (missing = '') joined with sep; empty removes dst. */
export function labelJoin(ls: Labels, dst: string, sep: string, srcs: readonly string[]): Labels {
  let value = '';
  for (let i = 0; i < srcs.length; i++) {
    if (i > 0) value += sep;
    value += getLabel(ls, srcs[i]!);
  }
  return setLabel(ls, dst, value);
}

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LONE_SURROGATE = /\p{Surrogate}/u;

/** 3.x: any non-empty valid UTF-8 string; '2': `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function validLabelName(name: string, compat: PromQLCompat): boolean {
  if (compat === '2') return LEGACY_NAME.test(name);
  return name.length > 0 && !LONE_SURROGATE.test(name);
}
