/** Prometheus' answer envelope, shared by the range and the labels/series merging. Pure. */

/** A success answer's data, warnings and infos; null when the text is not one. */
export function parseSuccess(text: string): { data: unknown; warnings: string[]; infos: string[] } | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const b = body as { status?: unknown; data?: unknown; warnings?: unknown; infos?: unknown };
  if (b.status !== 'success') return null;
  return { data: b.data, warnings: Array.isArray(b.warnings) ? (b.warnings as string[]) : [], infos: Array.isArray(b.infos) ? (b.infos as string[]) : [] };
}

/** Warnings or infos of several answers, each once, in first-seen order. */
export const union = (lists: readonly (readonly string[])[]): string[] => [...new Set(lists.flat())];
