/**
 * Label sets. A `Labels` value is an array of name/value pairs sorted by name (code-point order),
 * names unique, no empty values — the same invariants Prometheus keeps for `labels.Labels`.
 * Treat them as immutable: every helper here returns a new array when it changes something.
 */
export interface Label {
  readonly name: string;
  readonly value: string;
}

export type Labels = readonly Label[];

export const METRIC_NAME = '__name__';

/** Compares strings by Unicode code point, i.e. the byte order of their UTF-8 forms (Go's order). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (U+D800..U+DFFF) encode code points above U+FFFF, which sort after every BMP unit.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}

/** Prometheus `labels.Compare`: pairwise by name then value; a prefix sorts first. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const la = a[i]!;
    const lb = b[i]!;
    if (la.name !== lb.name) return compareStrings(la.name, lb.name);
    if (la.value !== lb.value) return compareStrings(la.value, lb.value);
  }
  return a.length - b.length;
}

/** A string that identifies the label set; equal sets give equal keys. */
export function labelsKey(ls: Labels): string {
  let key = '';
  for (const l of ls) key += l.name + '\xff' + l.value + '\xfe';
  return key;
}

/** Value of `name`, or '' when absent (PromQL treats a missing label as empty). */
export function getLabel(ls: Labels, name: string): string {
  for (const l of ls) if (l.name === name) return l.value;
  return '';
}

/** Builds a sorted label set from a record; empty values are dropped. */
export function labelsFromRecord(record: Readonly<Record<string, string>>): Labels {
  const out: Label[] = [];
  for (const name of Object.keys(record)) {
    const value = record[name]!;
    if (value !== '') out.push({ name, value });
  }
  return out.sort((x, y) => compareStrings(x.name, y.name));
}

/** Sorts pairs by name; later duplicates win; empty values are dropped. */
export function labelsFromPairs(pairs: Iterable<readonly [string, string]>): Labels {
  const map = new Map<string, string>();
  for (const [name, value] of pairs) map.set(name, value);
  const out: Label[] = [];
  for (const [name, value] of map) if (value !== '') out.push({ name, value });
  return out.sort((x, y) => compareStrings(x.name, y.name));
}

export function labelsToRecord(ls: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of ls) out[l.name] = l.value;
  return out;
}

/** Returns `ls` without the named labels (the same array when nothing is removed). */
export function dropLabels(ls: Labels, names: ReadonlySet<string>): Labels {
  let drop = false;
  for (const l of ls) {
    if (names.has(l.name)) {
      drop = true;
      break;
    }
  }
  if (!drop) return ls;
  return ls.filter((l) => !names.has(l.name));
}

/** Sets `name` to `value`; an empty value removes the label. */
export function setLabel(ls: Labels, name: string, value: string): Labels {
  const out: Label[] = [];
  let placed = false;
  for (const l of ls) {
    if (!placed && compareStrings(l.name, name) >= 0) {
      placed = true;
      if (value !== '') out.push({ name, value });
      if (l.name === name) continue;
    }
    out.push(l);
  }
  if (!placed && value !== '') out.push({ name, value });
  return out;
}

/** `{a="1", b="2"}` in PromQL syntax, for error messages and tests. */
export function formatLabels(ls: Labels): string {
  return '{' + ls.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ') + '}';
}
