import { describe, expect, it } from 'vitest';
import { encodeLabels, encodeQueryData, errorBody, jsonString, successBody } from '../../src/promql/json.js';
import { labelsFromRecord } from '../../src/model/labels.js';

describe('API JSON encoding', () => {
  it('escapes like Go encoding/json', () => {
    expect(jsonString('a<b>&c')).toBe('"a\\u003cb\\u003e\\u0026c"');
    expect(jsonString('ü"\n')).toBe('"ü\\"\\n"');
    expect(encodeLabels(labelsFromRecord({ b: '2', a: '1' }))).toBe('{"a":"1","b":"2"}');
  });

  it('writes scalars with float times and plain decimals (Grafana health check 1+1 at time=4)', () => {
    expect(encodeQueryData({ type: 'scalar', t: 4000, v: 2 })).toBe('{"resultType":"scalar","result":[4,"2"]}');
    expect(encodeQueryData({ type: 'scalar', t: 1500, v: 1e-7 })).toBe('{"resultType":"scalar","result":[1.5,"0.0000001"]}');
    expect(encodeQueryData({ type: 'string', t: 0, v: 'x' })).toBe('{"resultType":"string","result":[0,"x"]}');
  });

  it('writes vectors and matrices with millisecond timestamps and Prometheus value strings', () => {
    const labels = labelsFromRecord({ __name__: 'up', job: 'a' });
    expect(encodeQueryData({ type: 'vector', samples: [{ labels, t: 1_700_000_000_500, v: Number.NaN }] })).toBe(
      '{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1700000000.500,"NaN"]}]}',
    );
    expect(
      encodeQueryData({
        type: 'matrix',
        series: [{ labels, timestamps: Float64Array.of(1000, 2000), values: Float64Array.of(1e-7, Number.POSITIVE_INFINITY) }],
      }),
    ).toBe('{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"a"},"values":[[1,"1e-07"],[2,"+Inf"]]}]}');
    expect(encodeQueryData({ type: 'vector', samples: [] })).toBe('{"resultType":"vector","result":[]}');
    // Repeated values reuse their text, but 0 and -0 stay distinct.
    expect(
      encodeQueryData({
        type: 'matrix',
        series: [{ labels: [], timestamps: Float64Array.of(1000, 2000, 3000, 4000), values: Float64Array.of(0.5, 0.5, 0, -0) }],
      }),
    ).toBe('{"resultType":"matrix","result":[{"metric":{},"values":[[1,"0.5"],[2,"0.5"],[3,"0"],[4,"-0"]]}]}');
  });

  it('builds the envelope with warnings only when present', () => {
    expect(successBody('[]', [])).toBe('{"status":"success","data":[]}');
    expect(successBody('[]', ['w'], ['i'])).toBe('{"status":"success","data":[],"warnings":["w"],"infos":["i"]}');
    expect(errorBody('bad_data', 'oops')).toBe('{"status":"error","errorType":"bad_data","error":"oops"}');
  });
});
