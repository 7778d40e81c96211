/**
 * The results cache: per key (query, step, grid offset, dedup/replica labels, partial response,
 * tenant, split-interval bucket), the extents already answered, as Cortex' results cache keeps
 * them. In memory (Thanos' IN-MEMORY type): least recently used entries go first once
 * max_size bytes or max_size_items entries are exceeded; entries older than validity expire.
 */
import { parse } from 'yaml';
import { extractRange, mergeAnswers, type RangeAnswer } from './range.js';

export interface Extent {
  readonly start: number;
  readonly end: number;
  readonly answer: RangeAnswer;
}

export interface InMemoryCacheConfig {
  readonly maxSizeBytes: number; // 0: no byte limit
  readonly maxSizeItems: number; // 0: no item limit
  readonly validityMs: number; // 0: no expiry
}

const UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, KB: 1 << 10, KIB: 1 << 10, MB: 1 << 20, MIB: 1 << 20, GB: 1 << 30, GIB: 1 << 30, TB: 2 ** 40, TIB: 2 ** 40 };

/** Thanos' byte sizes: "256MB", "1GiB", "1024". */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`invalid size ${JSON.stringify(text)}`);
  return Math.floor(Number(m[1]) * unit);
}

/** Default when no --query-range.response-cache-config is given (see docs/query-frontend.md). */
export const DEFAULT_CACHE_CONFIG: InMemoryCacheConfig = { maxSizeBytes: 256 << 20, maxSizeItems: 0, validityMs: 0 };

/**
 * Thanos' response cache YAML. IN-MEMORY with neither max_size nor max_size_items gives null (no
 * cache, as Thanos creates none). MEMCACHED and REDIS are not built yet.
 */
export function parseCacheConfig(text: string, parseDuration: (s: string) => number): InMemoryCacheConfig | null {
  const doc = (parse(text) ?? {}) as { type?: unknown; config?: Record<string, unknown> };
  if (typeof doc !== 'object') throw new Error('expected a mapping with type and config');
  for (const k of Object.keys(doc)) if (k !== 'type' && k !== 'config') throw new Error(`field ${k} not found in type queryfrontend.CacheProviderConfig`);
  const type = String(doc.type ?? '').toUpperCase();
  if (type === 'MEMCACHED' || type === 'REDIS') throw new Error(`response cache with type ${type} is not supported by promdedup yet (only IN-MEMORY)`);
  if (type !== 'IN-MEMORY') throw new Error(`response cache with type ${String(doc.type ?? '')} is not supported`);
  const c = doc.config ?? {};
  const size = c.max_size === undefined || c.max_size === '' || c.max_size === null ? 0 : parseBytes(String(c.max_size));
  const items = Number(c.max_size_items ?? 0);
  if (!Number.isSafeInteger(items) || items < 0) throw new Error('max_size_items: expected a non-negative integer');
  const validity = c.validity === undefined || c.validity === null || c.validity === '' ? 0 : parseDuration(String(c.validity));
  if (size === 0 && items === 0) return null;
  return { maxSizeBytes: size, maxSizeItems: items, validityMs: validity };
}

interface Entry {
  extents: Extent[];
  bytes: number;
  stored: number;
}

export class ExtentCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly config: InMemoryCacheConfig,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Extent[] | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (this.config.validityMs > 0 && this.now() - e.stored > this.config.validityMs) {
      this.delete(key);
      return undefined;
    }
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.extents;
  }

  put(key: string, extents: Extent[]): void {
    this.delete(key);
    const bytes = key.length + extents.reduce((n, x) => n + JSON.stringify(x.answer.result).length + 64, 0);
    if (this.config.maxSizeBytes > 0 && bytes > this.config.maxSizeBytes) return;
    this.entries.set(key, { extents, bytes, stored: this.now() });
    this.bytes += bytes;
    for (const [k] of this.entries) {
      const over = (this.config.maxSizeBytes > 0 && this.bytes > this.config.maxSizeBytes) || (this.config.maxSizeItems > 0 && this.entries.size > this.config.maxSizeItems);
      if (!over) break;
      this.delete(k);
    }
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }
}

/** Extents that touch or overlap (within a step) joined, in start order (Cortex' handleHit merging). */
export function joinExtents(extents: readonly Extent[], step: number): Extent[] {
  const sorted = [...extents].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Extent[] = [];
  let acc: Extent | undefined;
  for (const x of sorted) {
    if (acc === undefined) acc = x;
    else if (acc.end + step < x.start) {
      out.push(acc);
      acc = x;
    } else if (x.end > acc.end) acc = { start: acc.start, end: x.end, answer: mergeAnswers([acc.answer, x.answer]) };
  }
  if (acc !== undefined) out.push(acc);
  return out;
}

/** The part of each extent at or before `maxTime` (extents wholly after it are dropped). */
export function clipExtents(extents: readonly Extent[], maxTime: number): Extent[] {
  const out: Extent[] = [];
  for (const x of extents) {
    if (x.start > maxTime) continue;
    out.push(x.end <= maxTime ? x : { start: x.start, end: maxTime, answer: extractRange(x.answer, x.start, maxTime) });
  }
  return out;
}

/**
 * What is cached for [start, end] and what must still be asked (Cortex' partition): the cached
 * answers cut to the range, and the gaps as sub-ranges on the same step grid.
 */
export function partition(start: number, end: number, step: number, extents: readonly Extent[]): { cached: RangeAnswer[]; missing: [number, number][] } {
  const cached: RangeAnswer[] = [];
  const missing: [number, number][] = [];
  let from = start;
  for (const x of extents) {
    if (x.end < from || x.start > end) continue;
    if (from < x.start) missing.push([from, x.start - step]);
    cached.push(extractRange(x.answer, from, end));
    from = Math.max(from, x.end + step);
  }
  if (from <= end) missing.push([from, end]);
  return { cached, missing };
}
