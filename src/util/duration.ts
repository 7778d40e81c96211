/** Prometheus duration strings (`model.ParseDuration`): "1h30m", "5m", "250ms", "0". Returns ms. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};
const ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

export class DurationError extends Error {}

export function parsePromDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+)(ms|[smhdwy])/y;
  let pos = 0;
  let total = 0;
  let lastUnit = -1;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new DurationError(`not a valid duration string: ${JSON.stringify(text)}`);
    const unit = ORDER.indexOf(m[2]!);
    // Units must appear largest first, each at most once, as in Prometheus.
    if (unit <= lastUnit) throw new DurationError(`not a valid duration string: ${JSON.stringify(text)}`);
    lastUnit = unit;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || !Number.isSafeInteger(total)) {
    throw new DurationError(`not a valid duration string: ${JSON.stringify(text)}`);
  }
  return total;
}

/** Formats ms the way Prometheus prints durations: "2m", "1h30m", "0s". */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = ms < 0 ? '-' : '';
  rest = Math.abs(rest);
  for (const unit of ORDER) {
    const size = UNIT_MS[unit]!;
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
