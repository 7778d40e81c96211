import { describe, expect, it } from 'vitest';
import { formatFloatPlain, formatSampleValue, formatScalarValue, formatTimestampSeconds } from '../../src/promql/format.js';
import { prng } from '../support/prng.js';

/** Random doubles over the whole range: random bit patterns (finite ones). */
function randomDouble(buf: DataView, random: () => number): number {
  for (;;) {
    buf.setUint32(0, (random() * 2 ** 32) >>> 0);
    buf.setUint32(4, (random() * 2 ** 32) >>> 0);
    const v = buf.getFloat64(0);
    if (Number.isFinite(v)) return v;
  }
}

describe('formatSampleValue (promql.md §1.15)', () => {
  it('table', () => {
    expect(formatSampleValue(1e6)).toBe('1000000');
    expect(formatSampleValue(1e-7)).toBe('1e-07');
    expect(formatSampleValue(1e21)).toBe('1e+21');
    expect(formatSampleValue(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatSampleValue(123456789012345678)).toBe('123456789012345680');
    expect(formatSampleValue(NaN)).toBe('NaN');
    expect(formatSampleValue(Infinity)).toBe('+Inf');
    expect(formatSampleValue(-Infinity)).toBe('-Inf');
    expect(formatSampleValue(-0)).toBe('-0');
    expect(formatSampleValue(0)).toBe('0');
  });
  it('Go exponent form', () => {
    expect(formatSampleValue(1.5e-10)).toBe('1.5e-10');
    expect(formatSampleValue(-1e-7)).toBe('-1e-07');
    expect(formatSampleValue(1e-6)).toBe('0.000001');
    expect(formatSampleValue(9.99e-7)).toBe('9.99e-07');
    expect(formatSampleValue(1e20)).toBe('100000000000000000000');
    expect(formatSampleValue(1.2345e300)).toBe('1.2345e+300');
    expect(formatSampleValue(5e-324)).toBe('5e-324');
    expect(formatSampleValue(1.7976931348623157e308)).toBe('1.7976931348623157e+308');
    expect(formatSampleValue(-2.5e21)).toBe('-2.5e+21');
    expect(formatSampleValue(0.5)).toBe('0.5');
    expect(formatSampleValue(-42)).toBe('-42');
  });
  it('round-trips random doubles and follows the notation rule', () => {
    const buf = new DataView(new ArrayBuffer(8));
    const random = prng(4);
    for (let i = 0; i < 100_000; i++) {
      const v = i % 2 === 0 ? randomDouble(buf, random) : (random() - 0.5) * 10 ** Math.floor(random() * 50 - 25);
      const s = formatSampleValue(v);
      expect(Object.is(parseFloat(s), v)).toBe(true);
      const abs = Math.abs(v);
      const exp = abs !== 0 && (abs < 1e-6 || abs >= 1e21);
      if (exp) expect(s).toMatch(/^-?\d(\.\d+)?e[-+]\d{2,3}$/);
      else expect(s).toMatch(/^-?\d+(\.\d+)?$/);
      // Same (shortest) digits as the plain form.
      const digits = (x: string) => x.replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
      expect(digits(s)).toBe(digits(formatFloatPlain(v)));
    }
  });
  it('is fast enough for 240k points', () => {
    const vals = new Float64Array(240_000).map((_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? i / 7 : i * 1e-9));
    const t0 = performance.now();
    let n = 0;
    for (const v of vals) n += formatSampleValue(v).length;
    const dt = performance.now() - t0;
    expect(n).toBeGreaterThan(0);
    expect(dt).toBeLessThan(1000);
  });
});

describe('formatFloatPlain (Go FormatFloat f, -1)', () => {
  it('never uses an exponent', () => {
    expect(formatScalarValue(1e-7)).toBe('0.0000001');
    expect(formatFloatPlain(1e21)).toBe('1000000000000000000000');
    expect(formatFloatPlain(1.5e300)).toBe('15' + '0'.repeat(299));
    expect(formatFloatPlain(1e300)).toBe('1' + '0'.repeat(300));
    expect(formatFloatPlain(5e-324)).toBe('0.' + '0'.repeat(323) + '5');
    expect(formatFloatPlain(-1.25e-8)).toBe('-0.0000000125');
    expect(formatFloatPlain(1.5e-7)).toBe('0.00000015');
    expect(formatFloatPlain(1e6)).toBe('1000000');
    expect(formatFloatPlain(123456789012345678)).toBe('123456789012345680');
    expect(formatFloatPlain(-0)).toBe('-0');
    expect(formatFloatPlain(NaN)).toBe('NaN');
    expect(formatFloatPlain(Infinity)).toBe('+Inf');
    expect(formatFloatPlain(-Infinity)).toBe('-Inf');
    expect(formatFloatPlain(0.30000000000000004)).toBe('0.30000000000000004');
  });
  it('round-trips', () => {
    const buf = new DataView(new ArrayBuffer(8));
    const random = prng(5);
    for (let i = 0; i < 20_000; i++) {
      const v = randomDouble(buf, random);
      const s = formatFloatPlain(v);
      expect(s).not.toMatch(/e/);
      expect(Object.is(Number(s), v)).toBe(true);
    }
  });
});

describe('formatTimestampSeconds', () => {
  it('three ms digits when needed', () => {
    expect(formatTimestampSeconds(1700000000500)).toBe('1700000000.500');
    expect(formatTimestampSeconds(1700000000000)).toBe('1700000000');
    expect(formatTimestampSeconds(2500)).toBe('2.500');
    expect(formatTimestampSeconds(50)).toBe('0.050');
    expect(formatTimestampSeconds(1007)).toBe('1.007');
    expect(formatTimestampSeconds(0)).toBe('0');
    expect(formatTimestampSeconds(-1500)).toBe('-1.500');
    expect(formatTimestampSeconds(-500)).toBe('-0.500');
    expect(formatTimestampSeconds(-3000)).toBe('-3');
    expect(formatTimestampSeconds(123)).toBe('0.123');
  });
});
