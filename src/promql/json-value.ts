/**
 * JSON answers of endpoints passed on in Prometheus' bytes: objects keep the key order the endpoint
 * sent (that of Prometheus' Go structs), strings are escaped as Go's encoding/json does, numbers
 * print as Go prints a float64 (JavaScript's shortest form, exponent below 1e-6 and from 1e21, is
 * the same), and label maps (LabelSet) print sorted by name.
 */
import { encodeLabels, jsonString } from './json.js';
import { compareStrings, type Label, type Labels } from '../model/labels.js';

/** A label map inside a JSON value (Prometheus marshals labels.Labels as a name-sorted object). */
export class LabelSet {
  constructor(readonly labels: Labels) {}

  /** From a decoded JSON object of strings; anything else gives an empty set. */
  static fromJson(x: unknown): LabelSet {
    const out: Label[] = [];
    if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
      for (const [name, value] of Object.entries(x as Record<string, unknown>)) {
        if (typeof value === 'string') out.push({ name, value });
      }
    }
    return new LabelSet(out.sort((a, b) => compareStrings(a.name, b.name)));
  }
}

export function encodeJson(v: unknown): string {
  if (v instanceof LabelSet) return encodeLabels(v.labels);
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'null';
    default:
      break;
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) return '[' + v.map(encodeJson).join(',') + ']';
  let out = '{';
  let first = true;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += jsonString(k) + ':' + encodeJson(x);
  }
  return out + '}';
}
