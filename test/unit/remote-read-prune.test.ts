import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../src/model/labels.js';
import { LabelMatcher } from '../../src/model/matcher.js';
import { storeMatchesMatchers } from '../../src/store/prune.js';

const m = (t: '=' | '!=' | '=~' | '!~', n: string, v: string) => new LabelMatcher(t, n, v);

describe('storeMatchesMatchers (Thanos LabelSetsMatch)', () => {
  const a = labelsFromRecord({ cluster: 'eu', replica: 'r0' });
  const b = labelsFromRecord({ cluster: 'us', replica: 'r1' });

  it('no label sets match everything', () => {
    expect(storeMatchesMatchers([], [m('=', 'cluster', 'nope')])).toBe(true);
  });
  it('a set without conflicting matchers matches', () => {
    expect(storeMatchesMatchers([a], [m('=', '__name__', 'up'), m('=', 'cluster', 'eu')])).toBe(true);
    expect(storeMatchesMatchers([a], [m('=~', 'cluster', 'e.*'), m('!=', 'replica', 'r1')])).toBe(true);
  });
  it('conflicting matchers prune', () => {
    expect(storeMatchesMatchers([a], [m('=', 'cluster', 'us')])).toBe(false);
    expect(storeMatchesMatchers([a], [m('!~', 'replica', 'r.*')])).toBe(false);
    expect(storeMatchesMatchers([a], [m('=', 'cluster', '')])).toBe(false);
  });
  it('matchers on labels absent from the set are ignored', () => {
    expect(storeMatchesMatchers([a], [m('=', 'job', 'x'), m('=', 'zone', '')])).toBe(true);
  });
  it('any of several sets suffices', () => {
    expect(storeMatchesMatchers([a, b], [m('=', 'cluster', 'us')])).toBe(true);
    expect(storeMatchesMatchers([a, b], [m('=', 'cluster', 'ap')])).toBe(false);
    expect(storeMatchesMatchers([a, labelsFromRecord({})], [m('=', 'cluster', 'ap')])).toBe(true);
  });
});
