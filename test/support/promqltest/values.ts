/** Value sequences of series lines (`1 _x2 3+1x2 stale`) and bare number lines. */
import type { SeqValue } from './types.js';

const UNUM = String.raw`(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)`;
const ITEM_RE = new RegExp(String.raw`^([+-]?${UNUM})(?:([+-])(${UNUM}))?(?:x(\d+))?$`, 'i');
const SKIP_RE = /^_(?:x(\d+))?$/;

/** A number as the series lexer reads it: decimal, exponent, Inf/NaN (any case), optional sign. */
export function parseSeriesNumber(s: string): number {
  const sign = s.startsWith('-') ? -1 : 1;
  const body = s.replace(/^[+-]/, '').toLowerCase();
  if (body === 'inf') return sign * Infinity;
  if (body === 'nan') return NaN;
  return sign * Number(body);
}

/** Expands one value item into its slots; throws on anything the DSL does not allow. */
export function expandItem(item: string): SeqValue[] {
  if (item.toLowerCase() === 'stale') return [{ kind: 'stale' }];
  const skip = SKIP_RE.exec(item);
  if (skip) {
    const n = skip[1] === undefined ? 1 : Number(skip[1]);
    return Array.from({ length: n }, () => ({ kind: 'omitted' as const }));
  }
  const m = ITEM_RE.exec(item);
  if (!m) throw new Error(`invalid value item ${JSON.stringify(item)}`);
  const [, base, op, delta, times] = m;
  if (op !== undefined && times === undefined) throw new Error(`missing repetition in ${JSON.stringify(item)}`);
  let v = parseSeriesNumber(base!);
  if (times === undefined) return [{ kind: 'value', v }];
  const step = op === undefined ? 0 : (op === '-' ? -1 : 1) * parseSeriesNumber(delta!);
  const out: SeqValue[] = [];
  const n = Number(times);
  for (let i = 0; i <= n; i++) {
    out.push({ kind: 'value', v });
    // Accumulate like the reference parser does (v += step), so rounding matches.
    if (op !== undefined) v += step;
  }
  return out;
}

/** Expands a whitespace-separated sequence of value items. */
export function expandSequence(text: string): SeqValue[] {
  const out: SeqValue[] = [];
  for (const item of text.split(/\s+/)) {
    if (item === '') continue;
    for (const v of expandItem(item)) out.push(v);
  }
  return out;
}

/**
 * A bare number line (expected scalar): Go's ParseInt with base prefix (so `0x10` is 16 and `010`
 * is 8), else ParseFloat. Returns null when the line is not a number.
 */
export function parseNumberLine(s: string): number | null {
  const int = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (int) {
    const sign = int[1] === '-' ? -1 : 1;
    const body = int[2]!.replace(/_/g, '');
    let v: number;
    if (/^0[xXoObB]/.test(body)) v = Number(body.toLowerCase());
    else if (body.length > 1 && body.startsWith('0')) v = parseInt(body, 8);
    else v = Number(body);
    return sign * v;
  }
  const lower = s.toLowerCase();
  const special = /^([+-]?)(inf|infinity|nan)$/.exec(lower);
  if (special) return special[2] === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(s)) return Number(s);
  return null;
}
