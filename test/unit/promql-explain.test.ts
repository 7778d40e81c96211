import { describe, expect, it } from 'vitest';
import { goDuration, operatorTree } from '../../src/promql/explain.js';
import { parseExpr } from '../../src/promql/parser.js';

const names = (q: string): unknown => {
  const walk = (n: ReturnType<typeof operatorTree>): unknown => (n.children.length > 0 ? [n.name, n.children.map(walk)] : n.name);
  return walk(operatorTree(parseExpr(q)));
};

describe('operatorTree', () => {
  it('names every operator; parentheses are transparent', () => {
    expect(names('((sum without (pod) (rate(x{a="b"}[5m] offset 1m))))')).toEqual(['[aggregate] sum without (pod)', [['[function] rate', ['[matrixSelector] x{a="b"}[5m] offset 1m']]]]);
    expect(names('topk(3, -up) > bool 1')).toEqual(['[binary] > bool', [['[aggregate] topk', ['[number] 3', ['[unary] -', ['[vectorSelector] up']]]], '[number] 1']]);
    expect(names('max_over_time(rate(x[1m])[10m:30s])')).toEqual(['[function] max_over_time', [['[subquery] [10m:30s]', [['[function] rate', ['[matrixSelector] x[1m]']]]]]]);
    expect(names('a * ignoring(b) group_right c')).toEqual(['[binary] * ignoring(b) group_right', ['[vectorSelector] a', '[vectorSelector] c']]);
    expect(names('label_replace(up, "a", "$1", "b", "(.*)")')).toEqual(['[function] label_replace', ['[vectorSelector] up', '[string] "a"', '[string] "$1"', '[string] "b"', '[string] "(.*)"']]);
  });
});

describe('goDuration', () => {
  it('prints as Go does', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(0.0005)).toBe('500ns');
    expect(goDuration(0.35)).toBe('350µs');
    expect(goDuration(1.234567)).toBe('1.234567ms');
    expect(goDuration(2500)).toBe('2.5s');
    expect(goDuration(90_000)).toBe('1m30s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
  });
});
