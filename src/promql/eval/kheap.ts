/**
 * Go container/heap operations as Prometheus' topk/bottomk use them. Reproducing the exact heap
 * moves makes tie-breaking between equal values identical to Prometheus.
 */
export interface KItem {
  readonly si: number;
  readonly f: number;
}

/** vectorByValueHeap.Less (NaN smallest), or vectorByReverseValueHeap.Less when `reverse`. */
function less(h: KItem[], i: number, j: number, reverse: boolean): boolean {
  const a = h[i]!.f;
  if (a !== a) return true;
  return reverse ? a > h[j]!.f : a < h[j]!.f;
}

function swap(h: KItem[], i: number, j: number): void {
  const t = h[i]!;
  h[i] = h[j]!;
  h[j] = t;
}

function up(h: KItem[], j: number, reverse: boolean): void {
  for (;;) {
    const i = Math.trunc((j - 1) / 2);
    if (i === j || !less(h, j, i, reverse)) break;
    swap(h, i, j);
    j = i;
  }
}

function down(h: KItem[], i0: number, n: number, reverse: boolean): boolean {
  let i = i0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h, j2, j1, reverse)) j = j2;
    if (!less(h, j, i, reverse)) break;
    swap(h, i, j);
    i = j;
  }
  return i > i0;
}

export function kHeapPush(h: KItem[], item: KItem, reverse: boolean): void {
  h.push(item);
  up(h, h.length - 1, reverse);
}

/** `heap.Pop(h)`: swap the top to the end, sift the new top down, drop the last element. */
export function kHeapPop(h: KItem[], reverse: boolean): void {
  const n = h.length - 1;
  swap(h, 0, n);
  down(h, 0, n, reverse);
  h.pop();
}

/** `h[0] = item; heap.Fix(h, 0)` (Prometheus skips the fix for k = 1). */
export function kHeapReplaceTop(h: KItem[], item: KItem, reverse: boolean): void {
  h[0] = item;
  if (h.length > 1 && !down(h, 0, h.length, reverse)) up(h, 0, reverse);
}

/** `sort.Sort(sort.Reverse(heap))` — insertion sort, which is what Go runs for short inputs. */
export function kHeapSortedDesc(h: KItem[], reverse: boolean): KItem[] {
  const a = h.slice();
  for (let i = 1; i < a.length; i++) {
    for (let j = i; j > 0 && less(a, j - 1, j, reverse); j--) swap(a, j, j - 1);
  }
  return a;
}
