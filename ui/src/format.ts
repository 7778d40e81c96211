/** Labels, durations and times as Prometheus' UI writes them. */
import type { Labels } from './api';

/** `name{a="1", b="2"}` (labels sorted, `__name__` as the prefix). */
export function formatSeries(metric: Labels): string {
  const name = metric['__name__'] ?? '';
  const rest = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`);
  if (rest.length === 0) return name === '' ? '{}' : name;
  return `${name}{${rest.join(', ')}}`;
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Seconds in a Prometheus duration (`1h30m`, `90s`, `2d`) or a plain number of seconds; null if neither. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+)(ms|s|m|h|d|w|y)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    if (m.index !== consumed) return null;
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed === t.length && consumed > 0 ? total : null;
}

/** The shortest Prometheus duration for a number of seconds (3600 → `1h`, 5400 → `1h30m`). */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  let rest = Math.round(seconds);
  let out = '';
  for (const [u, n] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= n) {
      out += `${Math.floor(rest / n)}${u}`;
      rest %= n;
    }
  }
  return out;
}

/** Unix seconds from RFC 3339 (`2026-01-10T12:00:00Z`) or unix seconds; null if neither, undefined if empty (now). */
export function parseTime(text: string): number | null | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms / 1000;
}

/** RFC 3339 in UTC, without milliseconds when they are zero. */
export function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Prometheus' default step for a graph: about 250 points over the range, at least 1 s. */
export function autoStep(rangeSeconds: number): number {
  return Math.max(Math.floor(rangeSeconds / 250), 1);
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null) e.append(c);
  return e;
}
