import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/errors.js';
import { MAX_TIME_MS, MIN_TIME_MS, Params, parseBoolParam, parseDurationParam, parseLimitParam, parseTime } from '../../src/api/params.js';
import { decodeLabelName } from '../../src/api/label-name.js';

describe('Params', () => {
  it('merges body and URL values with the body first, as Go r.Form does', () => {
    const p = new Params(new URLSearchParams('query=up&match[]=a'), new URLSearchParams('query=x&dedup=false&match[]=b'));
    expect(p.get('query')).toBe('up');
    expect(p.get('dedup')).toBe('false');
    expect(p.getAll('match[]')).toEqual(['a', 'b']);
    expect(p.get('missing')).toBeUndefined();
  });
});

describe('parseTime', () => {
  it('reads float seconds, rounding the fraction to ms', () => {
    expect(parseTime('time', '4')).toBe(4000);
    expect(parseTime('time', '1700000000.5')).toBe(1_700_000_000_500);
    expect(parseTime('time', '1.0004')).toBe(1000);
    expect(parseTime('time', '-1.5')).toBe(-1500);
    expect(parseTime('time', '1e3')).toBe(1_000_000);
  });
  it('reads RFC 3339 with offsets', () => {
    expect(parseTime('time', '2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    expect(parseTime('time', '2023-11-14T23:13:20.250+01:00')).toBe(1_700_000_000_250);
  });
  it("accepts Prometheus' own boundary times, as Go clients send them", () => {
    expect(parseTime('start', '-292273086-05-16T16:47:06Z')).toBe(MIN_TIME_MS);
    expect(parseTime('end', '292277025-08-18T07:12:54.999999999Z')).toBe(MAX_TIME_MS);
  });
  it('rejects anything else with Prometheus wording', () => {
    expect(() => parseTime('time', 'abc')).toThrow(
      `invalid parameter "time": Invalid time value for 'time': cannot parse "abc" to a valid timestamp`,
    );
    expect(() => parseTime('start', '')).toThrow(ApiError);
  });
});

describe('parseDurationParam', () => {
  it('reads float seconds and duration strings', () => {
    expect(parseDurationParam('step', '15')).toBe(15_000);
    expect(parseDurationParam('step', '2.5')).toBe(2500);
    expect(parseDurationParam('step', '1m')).toBe(60_000);
    expect(parseDurationParam('step', '1h30m')).toBe(5_400_000);
  });
  it('rejects garbage', () => {
    expect(() => parseDurationParam('step', 'x')).toThrow('invalid parameter "step": cannot parse "x" to a valid duration');
    expect(() => parseDurationParam('step', '5m1h')).toThrow(ApiError);
  });
});

describe('parseBoolParam and parseLimitParam', () => {
  it('follows strconv.ParseBool', () => {
    expect(parseBoolParam('dedup', 'false', true)).toBe(false);
    expect(parseBoolParam('dedup', '1', false)).toBe(true);
    expect(parseBoolParam('dedup', undefined, true)).toBe(true);
    expect(() => parseBoolParam('dedup', 'yes', true)).toThrow('invalid parameter "dedup"');
  });
  it('accepts non-negative integer limits', () => {
    expect(parseLimitParam('10')).toBe(10);
    expect(parseLimitParam(undefined)).toBe(0);
    expect(() => parseLimitParam('-1')).toThrow(ApiError);
  });
});

describe('decodeLabelName', () => {
  it('decodes Prometheus 3 U__ escaped names', () => {
    expect(decodeLabelName('job')).toBe('job');
    expect(decodeLabelName('U__a_2e_b')).toBe('a.b');
    expect(decodeLabelName('U__my__label')).toBe('my_label');
  });
});

describe('parseDurationParam truncation', () => {
  it('truncates float seconds toward zero like Go time.Duration, then to ms', async () => {
    const { parseDurationParamNs } = await import('../../src/api/params.js');
    expect(parseDurationParam('step', '1.0005')).toBe(1000);
    expect(parseDurationParam('step', '0.0019')).toBe(1);
    expect(parseDurationParam('step', '-1.0005')).toBe(-1000);
    expect(parseDurationParamNs('step', '0.0001')).toBe(100_000);
    expect(parseDurationParam('step', '0.0001')).toBe(0);
  });
});
